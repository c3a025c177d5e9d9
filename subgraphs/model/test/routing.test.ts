import type { MikroORM } from "@mikro-orm/core";
import { createLogger, openDatabase, signInternalToken, type Caller } from "@ods/kit";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelSubgraph } from "../src/app.js";
import { migrations } from "../src/migrations/index.js";
import { entities } from "../src/schema.js";

type Behaviour = "ok" | "slow" | "fail" | "drop";

/** A loopback OpenAI-compatible server whose behaviour a test switches: answer, stall, 500, or drop mid-stream. */
async function startServer(behaviour: Behaviour) {
  const state = { behaviour, hits: 0 };
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d.toString()));
    req.on("end", () => {
      if (req.url === "/v1/models") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ object: "list", data: [{ id: "up", object: "model", created: 1, owned_by: "t" }] }));
        return;
      }
      state.hits++;
      const body = JSON.parse(raw || "{}") as { stream?: boolean };
      if (state.behaviour === "fail") {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "boom", type: "server_error" } }));
        return;
      }
      const base = { id: "c", created: 1, model: "up" };
      const delay = state.behaviour === "slow" ? 2_000 : 0;
      setTimeout(() => {
        if (res.destroyed) return;
        if (!body.stream) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              ...base,
              object: "chat.completion",
              choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
              usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
            }),
          );
          return;
        }
        res.writeHead(200, { "content-type": "text/event-stream" });
        const chunk = (delta: unknown, finish: string | null = null) =>
          res.write(
            `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
          );
        chunk({ role: "assistant", content: "" });
        chunk({ content: "one" });
        if (state.behaviour === "drop") {
          setTimeout(() => res.destroy(), 30);
          return;
        }
        chunk({ content: " two" });
        chunk({}, "stop");
        res.end("data: [DONE]\n\n");
      }, delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    url,
    state,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const secret = "routing-test-internal-secret-0123456789abcdef";
const editor: Caller = { userId: "00000000-0000-4000-8000-00000000e101", roles: ["editor"] };
let dir: string;
let orm: MikroORM;
let subgraph: Awaited<ReturnType<typeof startModelSubgraph>>;
let servers: Awaited<ReturnType<typeof startServer>>[];
let openai: OpenAI;

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(subgraph.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-ods-internal-token": await signInternalToken(secret, editor) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions: { code: string } }[] };
}

async function register(name: string, endpoints: { baseUrl: string; weight: number }[]) {
  const res = await gql(
    `mutation($input: RegisterModelInput!) { registerModel(input: $input) { id endpoints { id baseUrl weight } } }`,
    { input: { name, kind: "CHAT", upstreamModel: "up", endpoints } },
  );
  expect(res.errors).toBeUndefined();
  return res.data.registerModel as { id: string; endpoints: { id: string; baseUrl: string; weight: number }[] };
}

async function breakers(id: string): Promise<Record<string, string>> {
  const res = await gql(`query($id: ID!) { model(id: $id) { endpoints { baseUrl breakerState status } } }`, { id });
  return Object.fromEntries(
    (res.data.model.endpoints as { baseUrl: string; breakerState: string }[]).map((e) => [e.baseUrl, e.breakerState]),
  );
}

const ask = (model: string) => openai.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ods-routing-"));
  servers = await Promise.all([startServer("ok"), startServer("ok"), startServer("ok")]);
  orm = await openDatabase({ name: "model", dataDir: dir, entities, migrations });
  subgraph = await startModelSubgraph(
    {
      ODS_MODEL_PORT: 0,
      ODS_INTERNAL_SECRET: secret,
      ODS_SECRET_KEY: undefined,
      ODS_BUILTIN_TOKEN_DELAY_MS: 1,
      ODS_MODEL_UPSTREAM_TIMEOUT_MS: 5_000,
      ODS_MODEL_CHECK_TIMEOUT_MS: 1_000,
      ODS_MODEL_PROBE_INTERVAL_MS: 0,
      ODS_MODEL_FIRST_TOKEN_TIMEOUT_MS: 300,
      ODS_MODEL_BREAKER_FAILURES: 3,
      ODS_MODEL_BREAKER_COOLDOWN_MS: 300,
      ODS_DEPLOYMENT_POLL_MS: 0,
    },
    orm,
    createLogger("routing-test", "silent"),
  );
  openai = new OpenAI({
    baseURL: `http://127.0.0.1:${subgraph.port}/v1`,
    apiKey: await signInternalToken(secret, editor),
    maxRetries: 0,
  });
});

afterAll(async () => {
  await subgraph?.close();
  await Promise.all((servers ?? []).map((s) => s.close()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("routing over several endpoints", () => {
  it("balances by weight", async () => {
    const [a, b] = servers;
    a!.state.hits = 0;
    b!.state.hits = 0;
    const model = await register("balanced", [
      { baseUrl: a!.url, weight: 3 },
      { baseUrl: b!.url, weight: 1 },
    ]);
    expect(model.endpoints.map((e) => e.weight)).toEqual([3, 1]);
    for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 20 }, () => ask("balanced")));
    expect(a!.state.hits + b!.state.hits).toBe(200);
    // Expected 150 / 50; the tolerance is over four standard deviations of the binomial (σ ≈ 6.1).
    expect(a!.state.hits).toBeGreaterThan(125);
    expect(a!.state.hits).toBeLessThan(175);
  });

  it("fails over from a failing endpoint, opens its breaker, and closes it after a good probe", async () => {
    const [failing, good] = servers;
    failing!.state.behaviour = "fail";
    failing!.state.hits = 0;
    const model = await register("failover", [
      { baseUrl: failing!.url, weight: 1000 },
      { baseUrl: good!.url, weight: 1 },
    ]);
    for (let i = 0; i < 6; i++) expect((await ask("failover")).choices[0]!.message.content).toBe("hi");
    // Three consecutive failures open it; the next calls skip it.
    expect(failing!.state.hits).toBe(3);
    expect((await breakers(model.id))[failing!.url]).toBe("OPEN");

    // After the cool-down (300 ms here) it lets one probe through; polled, so a slow machine cannot race it.
    await expect.poll(async () => (await breakers(model.id))[failing!.url], { interval: 50 }).toBe("HALF_OPEN");
    // The probe fails: open again without a fourth consecutive failure being needed.
    await ask("failover");
    expect(failing!.state.hits).toBe(4);
    expect((await breakers(model.id))[failing!.url]).toBe("OPEN");

    failing!.state.behaviour = "ok";
    await expect.poll(async () => (await breakers(model.id))[failing!.url], { interval: 50 }).toBe("HALF_OPEN");
    await ask("failover");
    expect(failing!.state.hits).toBe(5);
    expect((await breakers(model.id))[failing!.url]).toBe("CLOSED");
  });

  it("answers 502 quickly when every endpoint fails, then 503 with Retry-After while the breakers are open", async () => {
    const [s] = servers;
    s!.state.behaviour = "fail";
    await register("all-down", [{ baseUrl: s!.url, weight: 1 }]);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`http://127.0.0.1:${subgraph.port}/v1/chat/completions`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${await signInternalToken(secret, editor)}`,
        },
        body: JSON.stringify({ model: "all-down", messages: [{ role: "user", content: "hi" }] }),
      });
      statuses.push(res.status);
      if (res.status === 503) expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("upstream_unavailable");
    }
    expect(statuses).toEqual([502, 502, 502, 503]);
    s!.state.behaviour = "ok";
  });

  it("moves a stream to the next endpoint when the first token does not come in time", async () => {
    const [slow, , good] = servers;
    slow!.state.behaviour = "slow";
    await register("timeouts", [
      { baseUrl: slow!.url, weight: 1000 },
      { baseUrl: good!.url, weight: 1 },
    ]);
    const started = Date.now();
    const stream = await openai.chat.completions.create({
      model: "timeouts",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("one two");
    expect(Date.now() - started).toBeLessThan(1_500);
    slow!.state.behaviour = "ok";
  });

  it("ends the client's stream with an error event when the upstream drops it mid-way", async () => {
    const [, , dropping] = servers;
    dropping!.state.behaviour = "drop";
    await register("dropping", [{ baseUrl: dropping!.url, weight: 1 }]);
    const res = await fetch(`http://127.0.0.1:${subgraph.port}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await signInternalToken(secret, editor)}`,
      },
      body: JSON.stringify({ model: "dropping", messages: [{ role: "user", content: "hi" }], stream: true }),
      signal: AbortSignal.timeout(3_000),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"content":"one"');
    expect(text).toContain('"code":"upstream_unavailable"');
    expect(text).not.toContain("[DONE]");
    dropping!.state.behaviour = "ok";
  });

  it("checks every endpoint and imports the models an endpoint lists", async () => {
    const [s] = servers;
    const model = await register("checked", [{ baseUrl: s!.url, weight: 1 }]);
    const check = await gql(`mutation($id: ID!) { checkModel(id: $id) { status latencyMs error } }`, { id: model.id });
    expect(check.data.checkModel).toMatchObject({ status: "READY", error: null });
    const dead = await register("half-dead", [
      { baseUrl: s!.url, weight: 1 },
      { baseUrl: "http://127.0.0.1:9/v1", weight: 1 },
    ]);
    const partial = await gql(`mutation($id: ID!) { checkModel(id: $id) { status error } }`, { id: dead.id });
    expect(partial.data.checkModel.status).toBe("DEGRADED");
    const listed = await gql(`query($id: ID!) { model(id: $id) { endpoints { status latencyMs checkedAt } } }`, {
      id: dead.id,
    });
    expect(listed.data.model.endpoints.map((e: { status: string }) => e.status)).toEqual(["READY", "UNAVAILABLE"]);

    const imported = await gql(
      `mutation($input: ImportModelsInput!) { importModels(input: $input) { name kind upstreamModel } }`,
      { input: { baseUrl: s!.url } },
    );
    expect(imported.data.importModels).toEqual([{ name: "up", kind: "CHAT", upstreamModel: "up" }]);
    const again = await gql(`mutation($input: ImportModelsInput!) { importModels(input: $input) { name } }`, {
      input: { baseUrl: s!.url },
    });
    expect(again.data.importModels).toEqual([]);

    const ready = (await (await fetch(`http://127.0.0.1:${subgraph.port}/readyz`)).json()) as {
      status: string;
      checks: { name: string; ok: boolean }[];
    };
    expect(ready.status).toBe("ready");
    expect(ready.checks.find((c) => c.name.startsWith("upstreams"))?.name).toContain("UNAVAILABLE");
  });
});
