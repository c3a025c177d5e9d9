import { buildSchema } from "graphql";
import { createClient } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OperationLimits } from "./settings.js";
import { wsLimits } from "./use-ws-limits.js";

const schema = buildSchema(`
  type Query { hello: String }
  type Subscription { ticks: Tick! }
  type Tick { n: Int!, next: Tick }
`);
const limits: OperationLimits = {
  maxDepth: 4,
  maxAliases: 2,
  maxTokens: 200,
  maxDirectives: 2,
  maxCost: 100,
  maxQueryLength: 1_000,
  defaultListSize: 10,
  fieldCosts: {},
};

/** A graphql-ws server whose `ticks` never ends (until the client completes it), behind the limits. */
async function start(settings: { suggestions: boolean }) {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: "/graphql" });
  const roots = {
    subscription: {
      ticks: async function* () {
        for (let n = 0; ; n++) {
          yield { ticks: { n, next: null } };
          await new Promise((r) => setTimeout(r, 50));
        }
      },
    },
  };
  const disposable = useServer(
    {
      schema,
      roots,
      ...wsLimits({
        settings: { limits, ws: { initTimeoutMs: 300, maxSubscriptions: 2 }, suggestions: settings.suggestions },
        schema: () => schema,
      }),
    },
    wss,
  );
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
  return {
    url,
    async close() {
      await disposable.dispose();
      http.close();
    },
  };
}

/** The first result (or error) of a subscription. */
function first(client: ReturnType<typeof createClient>, query: string) {
  return new Promise<{ data?: unknown; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }>(
    (resolve) => {
      const unsubscribe = client.subscribe(
        { query },
        {
          next: (value) => {
            unsubscribe();
            resolve(value as never);
          },
          error: (errors) => resolve({ errors: errors as never }),
          complete: () => undefined,
        },
      );
    },
  );
}

describe("graphql-ws limits", () => {
  let server: Awaited<ReturnType<typeof start>>;
  const clients: ReturnType<typeof createClient>[] = [];
  const client = () => {
    const c = createClient({ url: server.url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    server = await start({ suggestions: false });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await server.close();
  });

  it("applies the operation limits to every subscribe", async () => {
    const c = client();
    expect((await first(c, "subscription { ticks { n } }")).data).toEqual({ ticks: { n: 0 } });
    const deep = await first(c, "subscription { ticks { next { next { next { next { n } } } } } }");
    expect(deep.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "depth" });
    const aliases = await first(c, "subscription { a: ticks { n } b: ticks { n } c: ticks { n } }");
    expect(aliases.errors?.[0]?.extensions).toMatchObject({ limit: "aliases" });
  });

  it("hides 'Did you mean' when suggestions are off", async () => {
    const r = await first(client(), "subscription { tick { n } }");
    expect(r.errors?.[0]?.message).toMatch(/Cannot query field "tick"/);
    expect(r.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it("caps the subscriptions open at once on one connection", async () => {
    const c = client();
    const seen: string[] = [];
    const stops = [0, 1].map(() =>
      c.subscribe(
        { query: "subscription { ticks { n } }" },
        { next: () => seen.push("ok"), error: () => undefined, complete: () => undefined },
      ),
    );
    await expect.poll(() => seen.length).toBeGreaterThanOrEqual(2);
    const third = await first(c, "subscription { ticks { n } }");
    expect(third.errors?.[0]?.message).toMatch(/At most 2 subscriptions/);
    // Closing one makes room again.
    stops[0]!();
    await new Promise((r) => setTimeout(r, 100));
    expect((await first(c, "subscription { ticks { n } }")).data).toBeTruthy();
    stops[1]!();
  });

  it("closes a connection that sends no connection_init in time (4408)", async () => {
    const socket = new WebSocket(server.url, "graphql-transport-ws");
    const started = Date.now();
    const code = await new Promise<number>((resolve) => socket.on("close", (c) => resolve(c)));
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
