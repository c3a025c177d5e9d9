import express from "express";
import { buildSchema } from "graphql";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refuse } from "./errors.js";
import type { OperationLimits } from "./settings.js";
import { useJsonOnly, useOriginCheck } from "./use-csrf.js";
import { useGraphqlGuard } from "./use-graphql-guard.js";
import { TrustedDocuments } from "./use-trusted-documents.js";

const schema = buildSchema(`
  type Query { me: User, users(first: Int): [User!]! }
  type Mutation { login(email: String!): String }
  type User { id: ID!, friends(first: Int): [User!]! }
`);
const limits: OperationLimits = {
  maxDepth: 5,
  maxAliases: 3,
  maxTokens: 500,
  maxDirectives: 3,
  maxCost: 100,
  maxQueryLength: 2_000,
  defaultListSize: 10,
  fieldCosts: {},
};

/** An HTTP server with the defences in front of a handler that echoes what reached it. */
async function serve(options: { trusted?: TrustedDocuments; batching?: boolean }) {
  const app = express();
  app.set("trust proxy", "loopback");
  app.use(useOriginCheck({ allowedOrigins: ["http://allowed.example"], cookieName: "ods_session", refuse }));
  app.use(
    "/graphql",
    useJsonOnly(refuse),
    express.json({ limit: "10kb" }),
    useGraphqlGuard({
      settings: { limits, batching: { enabled: !!options.batching, max: 2 } },
      schema: () => schema,
      trusted: options.trusted,
      refuse,
    }),
    (req, res) => {
      res.json({ reached: req.method === "GET" ? req.query : req.body, locals: res.locals.graphql });
    },
  );
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, close: () => server.close() };
}

type Answer = { status: number; body: { reached?: unknown; errors?: { extensions: Record<string, unknown> }[] } };
async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

describe("the GraphQL guard over HTTP", () => {
  let open: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    open = await serve({});
  });
  afterAll(() => open.close());

  it("passes a query within the limits and tells later middleware its mutations", async () => {
    const r = await post(open.url, { query: 'mutation { login(email: "a") }' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ locals: { mutationFields: ["login"] } });
  });

  it("refuses each limit with QUERY_TOO_COMPLEX and names it", async () => {
    const cases: [string, string, Record<string, unknown>?][] = [
      ["{ me { friends { friends { friends { friends { id } } } } } }", "depth"],
      ["{ a: me { id } b: me { id } c: me { id } d: me { id } }", "aliases"],
      ["query ($n: Int) { users(first: $n) { friends { id } } }", "cost", { n: 50 }],
      [`{ me { id } } ${"#".repeat(3_000)}`, "length"],
    ];
    for (const [query, limit, variables] of cases) {
      const r = await post(open.url, { query, variables });
      expect(r.status, limit).toBe(400);
      expect(r.body.errors?.[0]?.extensions, limit).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit });
      expect(r.body.reached).toBeUndefined();
    }
  });

  it("refuses batches when batching is off", async () => {
    const r = await post(open.url, [{ query: "{ me { id } }" }, { query: "{ me { id } }" }]);
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions.code).toBe("BAD_REQUEST");
  });

  it("checks every operation of a batch when batching is on, and caps its size", async () => {
    const batching = await serve({ batching: true });
    try {
      expect((await post(batching.url, [{ query: "{ me { id } }" }, { query: "{ me { id } }" }])).status).toBe(200);
      const tooMany = await post(batching.url, [
        { query: "{ me { id } }" },
        { query: "{ me { id } }" },
        { query: "{ me { id } }" },
      ]);
      expect(tooMany.status).toBe(400);
      const oneBad = await post(batching.url, [
        { query: "{ me { id } }" },
        { query: "{ a: me { id } b: me { id } c: me { id } d: me { id } }" },
      ]);
      expect(oneBad.body.errors?.[0]?.extensions.limit).toBe("aliases");
    } finally {
      batching.close();
    }
  });

  it("never runs a mutation from GET", async () => {
    const res = await fetch(`${open.url}?query=${encodeURIComponent('mutation { login(email: "a") }')}`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("refuses url-encoded, text/plain and multipart POSTs (CSRF)", async () => {
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]) {
      const res = await fetch(open.url, { method: "POST", headers: { "content-type": type }, body: "query={me{id}}" });
      expect(res.status, type).toBe(415);
    }
  });

  it("refuses a cookie-carrying POST from a foreign origin, allows the allow-list and programs", async () => {
    const body = { query: "{ me { id } }" };
    const cookie = { cookie: "ods_session=abc" };
    expect((await post(open.url, body, { ...cookie, origin: "http://evil.example" })).status).toBe(403);
    expect((await post(open.url, body, { ...cookie, origin: "http://allowed.example" })).status).toBe(200);
    expect((await post(open.url, body, { origin: "http://evil.example" })).status).toBe(200);
    const own = new URL(open.url).origin;
    expect((await post(open.url, body, { ...cookie, origin: own })).status).toBe(200);
  });
});

describe("the GraphQL guard in trusted-documents mode", () => {
  it("runs manifest operations by hash or text and refuses the rest", async () => {
    const { createHash } = await import("node:crypto");
    const ME = "query Me { me { id } }";
    const hash = createHash("sha256").update(ME).digest("hex");
    const trusted = await serve({ trusted: new TrustedDocuments([[hash, ME]]) });
    try {
      const byHash = await post(trusted.url, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
      expect(byHash.status).toBe(200);
      // The query is filled in, and the APQ extension removed so the server does not treat it as one.
      expect(byHash.body.reached).toMatchObject({ query: ME, extensions: {} });
      expect((await post(trusted.url, { query: ME })).status).toBe(200);
      const other = await post(trusted.url, { query: "query Other { me { id friends { id } } }" });
      expect(other.status).toBe(403);
      expect(other.body.errors?.[0]?.extensions.code).toBe("FORBIDDEN");
      const unknown = await post(trusted.url, {
        extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } },
      });
      expect(unknown.body.errors?.[0]?.extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    } finally {
      trusted.close();
    }
  });
});
