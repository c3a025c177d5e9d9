import { createLogger, openDatabase, signInternalToken, type Caller } from "@ods/kit";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MikroORM } from "@mikro-orm/core";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelSubgraph } from "../src/app.js";
import { migrations } from "../src/migrations/index.js";
import { entities } from "../src/schema.js";
import { startUpstream, UPSTREAM_KEY } from "./upstream.js";

const secret = "model-test-internal-secret-0123456789abcdef";
const editor: Caller = { userId: "00000000-0000-4000-8000-00000000e001", roles: ["editor"] };
const viewer: Caller = { userId: "00000000-0000-4000-8000-00000000e002", roles: ["viewer"] };

let dir: string;
let orm: MikroORM;
let subgraph: Awaited<ReturnType<typeof startModelSubgraph>>;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let base: string;
/** Every GraphQL response body, to prove the API key never appears in one. */
const graphqlBodies: string[] = [];

type GqlResult = { data?: Record<string, any>; errors?: { message: string; extensions: { code: string } }[] };

async function gql(
  query: string,
  variables: Record<string, unknown> = {},
  caller: Caller = editor,
): Promise<GqlResult> {
  const res = await fetch(subgraph.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-ods-internal-token": await signInternalToken(secret, caller) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  graphqlBodies.push(text);
  return JSON.parse(text) as GqlResult;
}

/** POSTs a chat completion request as raw JSON, to read the answer's bytes as they come. */
async function postCompletion(body: Record<string, unknown>, signal?: AbortSignal) {
  return fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${await signInternalToken(secret, editor)}` },
    body: JSON.stringify(body),
    signal,
  });
}

async function client(caller: Caller = editor) {
  return new OpenAI({ baseURL: `${base}/v1`, apiKey: await signInternalToken(secret, caller), maxRetries: 0 });
}

const REGISTER = `mutation($input: RegisterModelInput!) {
  registerModel(input: $input) { id name kind provider baseUrl upstreamModel hasApiKey ownerId owner { id } }
}`;

const contextMessages = [
  {
    role: "system" as const,
    content:
      "One Data Studio keeps datasets in object storage. Workflows are built visually from nodes. " +
      "The embedded profile stores everything in SQLite files under .data.",
  },
  { role: "user" as const, content: "Where does the embedded profile store its data?" },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ods-model-"));
  upstream = await startUpstream();
  orm = await openDatabase({ name: "model", dataDir: dir, entities, migrations });
  subgraph = await startModelSubgraph(
    {
      ODS_MODEL_PORT: 0,
      ODS_INTERNAL_SECRET: secret,
      ODS_SECRET_KEY: undefined,
      ODS_BUILTIN_TOKEN_DELAY_MS: 1,
      ODS_MODEL_UPSTREAM_TIMEOUT_MS: 5_000,
      ODS_MODEL_CHECK_TIMEOUT_MS: 1_000,
    },
    orm,
    createLogger("model-test", "silent"),
  );
  base = `http://127.0.0.1:${subgraph.port}`;
});

afterAll(async () => {
  await subgraph?.close();
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the OpenAI-compatible API with the built-in models", () => {
  it("lists the models in OpenAI's shape", async () => {
    const page = await (await client()).models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["builtin-offline", "builtin-embedder"]));
    expect(page.data[0]).toMatchObject({ object: "model", owned_by: "one-data-studio" });
    expect(typeof page.data[0]!.created).toBe("number");
  });

  it("streams exactly what it answers without streaming, then a usage chunk", async () => {
    const openai = await client();
    const whole = await openai.chat.completions.create({ model: "builtin-offline", messages: contextMessages });
    expect(whole.object).toBe("chat.completion");
    expect(whole.choices[0]!.message.content).toContain(
      "The embedded profile stores everything in SQLite files under .data.",
    );
    expect(whole.choices[0]!.finish_reason).toBe("stop");

    const stream = await openai.chat.completions.create({
      model: "builtin-offline",
      messages: contextMessages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let deltas = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        text += choice.delta.content;
        deltas++;
      }
      finish = choice?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(deltas).toBeGreaterThan(10);
    expect(finish).toBe("stop");
    expect(usage).toEqual(whole.usage);
  });

  it("sends SSE with the headers proxies need and ends with [DONE]", async () => {
    const res = await postCompletion({
      model: "builtin-offline",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      max_tokens: 3,
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const body = await res.text();
    expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const events = body
      .split("\n\n")
      .filter(Boolean)
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice("data: ".length)));
    expect(events.at(-1).choices[0].finish_reason).toBe("length");
  });

  it("explains what it is when given no context", async () => {
    const whole = await (
      await client()
    ).chat.completions.create({ model: "builtin-offline", messages: [{ role: "user", content: "hi" }] });
    expect(whole.choices[0]!.message.content).toContain("not a language model");
  });

  it("embeds a batch (base64 by the SDK's default, or floats)", async () => {
    const openai = await client();
    const result = await openai.embeddings.create({
      model: "builtin-embedder",
      input: ["upload a csv dataset", "uploading csv datasets", "数据平台"],
    });
    expect(result.object).toBe("list");
    expect(result.data).toHaveLength(3);
    expect(result.data.map((d) => d.index)).toEqual([0, 1, 2]);
    for (const d of result.data) {
      expect(d.embedding).toHaveLength(384);
      expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 4);
    }
    expect(result.usage.prompt_tokens).toBe(4 + 3 + 4);
    const floats = await openai.embeddings.create({
      model: "builtin-embedder",
      input: "upload a csv dataset",
      encoding_format: "float",
    });
    expect(floats.data[0]!.embedding[5]).toBeCloseTo(result.data[0]!.embedding[5]!, 6);
  });

  it("answers 401 in OpenAI's shape without a token or with a bad one", async () => {
    const none = await fetch(`${base}/v1/models`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as any).error).toMatchObject({
      type: "invalid_request_error",
      code: "invalid_api_key",
    });
    const forged = await fetch(`${base}/v1/models`, { headers: { authorization: "Bearer not-a-token" } });
    expect(forged.status).toBe(401);
    const anonymous = await fetch(`${base}/v1/models`, {
      headers: { authorization: `Bearer ${await signInternalToken(secret, { roles: [] })}` },
    });
    expect(anonymous.status).toBe(401);
    const sdk = new OpenAI({ baseURL: `${base}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
    await expect(
      sdk.chat.completions.create({ model: "builtin-offline", messages: [{ role: "user", content: "hi" }] }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("answers 404 model_not_found and 400 invalid_request_error", async () => {
    const openai = await client();
    const missing = await openai.chat.completions
      .create({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");

    const headers = {
      "content-type": "application/json",
      authorization: `Bearer ${await signInternalToken(secret, editor)}`,
    };
    const bad = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "builtin-offline", messages: [] }),
    });
    expect(bad.status).toBe(400);
    const error = ((await bad.json()) as any).error;
    expect(error).toMatchObject({ type: "invalid_request_error", param: "messages" });
    expect(error.message).toContain("messages");
    const malformed = await fetch(`${base}/v1/embeddings`, { method: "POST", headers, body: "{not json" });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).error.type).toBe("invalid_request_error");
    const wrongKind = await fetch(`${base}/v1/embeddings`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "builtin-offline", input: "x" }),
    });
    expect(wrongKind.status).toBe(400);
  });
});

describe("the model registry over GraphQL", () => {
  it("lists the built-ins with Relay pages, for signed-in callers only", async () => {
    const all = await gql(
      `{ models(first: 1) { totalCount edges { cursor node { id name kind provider contextLength dimensions hasApiKey } } pageInfo { hasNextPage endCursor } } }`,
    );
    expect(all.data!.models.edges[0].node).toMatchObject({
      id: "builtin-offline",
      name: "builtin-offline",
      kind: "CHAT",
      provider: "BUILTIN",
      contextLength: 8192,
      hasApiKey: false,
    });
    expect(all.data!.models.pageInfo.hasNextPage).toBe(true);
    const next = await gql(
      `query($after: String) { models(first: 1, after: $after) { edges { node { id dimensions } } } }`,
      { after: all.data!.models.pageInfo.endCursor },
    );
    expect(next.data!.models.edges[0].node).toEqual({ id: "builtin-embedder", dimensions: 384 });
    const embedders = await gql(`{ models(kind: EMBEDDING) { totalCount edges { node { name } } } }`);
    expect(embedders.data!.models.edges.map((e: { node: { name: string } }) => e.node.name)).toContain(
      "builtin-embedder",
    );
    expect(embedders.data!.models.edges.map((e: { node: { name: string } }) => e.node.name)).not.toContain(
      "builtin-offline",
    );
    const anonymous = await gql(`{ models { totalCount } }`, {}, { roles: [] });
    expect(anonymous.errors?.[0]?.extensions.code).toBe("UNAUTHENTICATED");
  });

  it("upserts the built-ins again at a restart without duplicating them", async () => {
    const before = await gql(`{ models { totalCount } }`);
    await subgraph.services.models.ensureBuiltins(orm.em.fork());
    const after = await gql(`{ models { totalCount edges { node { id name } } } }`);
    expect(after.data!.models.totalCount).toBe(before.data!.models.totalCount);
    expect(after.data!.models.edges.slice(0, 2).map((e: { node: { id: string } }) => e.node.id)).toEqual([
      "builtin-offline",
      "builtin-embedder",
    ]);
  });

  it("refuses a bad baseUrl, BUILTIN registrations, viewers, and deleting built-ins", async () => {
    const badUrl = await gql(REGISTER, { input: { name: "bad-url", kind: "CHAT", baseUrl: "ftp://example.com/v1" } });
    expect(badUrl.errors?.[0]?.extensions.code).toBe("BAD_USER_INPUT");
    expect(badUrl.errors?.[0]?.message).toContain("baseUrl");
    const noUrl = await gql(REGISTER, { input: { name: "no-url", kind: "CHAT" } });
    expect(noUrl.errors?.[0]?.extensions.code).toBe("BAD_USER_INPUT");
    const builtin = await gql(REGISTER, { input: { name: "my-builtin", kind: "CHAT", provider: "BUILTIN" } });
    expect(builtin.errors?.[0]?.extensions.code).toBe("BAD_USER_INPUT");
    const byViewer = await gql(
      REGISTER,
      { input: { name: "viewer-model", kind: "CHAT", baseUrl: upstream.url } },
      viewer,
    );
    expect(byViewer.errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    const deleteBuiltin = await gql(`mutation { deleteModel(id: "builtin-offline") }`);
    expect(deleteBuiltin.errors?.[0]?.extensions.code).toBe("BAD_USER_INPUT");
  });

  it("checks health: built-ins READY, an unreachable upstream UNAVAILABLE", async () => {
    const builtin = await gql(`mutation { checkModel(id: "builtin-embedder") { status latencyMs checkedAt error } }`);
    expect(builtin.data!.checkModel).toMatchObject({ status: "READY", error: null });
    const closedPort = await freePort();
    const reg = await gql(REGISTER, {
      input: { name: "nowhere", kind: "CHAT", baseUrl: `http://127.0.0.1:${closedPort}/v1` },
    });
    const check = await gql(`mutation($id: ID!) { checkModel(id: $id) { status error } }`, {
      id: reg.data!.registerModel.id,
    });
    expect(check.data!.checkModel.status).toBe("UNAVAILABLE");
    expect(check.data!.checkModel.error).toMatch(/connect/);
    const chat = await (
      await client()
    ).chat.completions
      .create({ model: "nowhere", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect((chat as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((chat as Error).message).toContain("nowhere");
  });
});

describe("an OPENAI_COMPATIBLE model proxied to its upstream", () => {
  let modelId: string;

  beforeAll(async () => {
    const reg = await gql(REGISTER, {
      input: {
        name: "team-llm",
        kind: "CHAT",
        baseUrl: `${upstream.url}/`,
        apiKey: UPSTREAM_KEY,
        upstreamModel: "tiny-chat",
        contextLength: 4096,
        defaultParams: { temperature: 0.2 },
      },
    });
    expect(reg.errors).toBeUndefined();
    expect(reg.data!.registerModel).toMatchObject({
      name: "team-llm",
      provider: "OPENAI_COMPATIBLE",
      baseUrl: upstream.url,
      hasApiKey: true,
      ownerId: editor.userId,
      owner: { id: editor.userId },
    });
    modelId = reg.data!.registerModel.id;
    for (const [name, upstreamModel] of [
      ["slow-llm", "slow-chat"],
      ["broken-llm", "broken-chat"],
      ["long-llm", "long-chat"],
      ["busy-llm", "busy-chat"],
    ]) {
      const other = await gql(REGISTER, {
        input: { name, kind: "CHAT", baseUrl: upstream.url, apiKey: UPSTREAM_KEY, upstreamModel },
      });
      expect(other.errors).toBeUndefined();
    }
  });

  it("refuses a duplicate name with CONFLICT", async () => {
    const again = await gql(REGISTER, { input: { name: "team-llm", kind: "CHAT", baseUrl: upstream.url } });
    expect(again.errors?.[0]?.extensions.code).toBe("CONFLICT");
  });

  it("is READY when the upstream lists it", async () => {
    const check = await gql(`mutation($id: ID!) { checkModel(id: $id) { status latencyMs error } }`, { id: modelId });
    expect(check.data!.checkModel).toMatchObject({ status: "READY", error: null });
  });

  it("proxies a completion with the decrypted key, the upstream model name and the default params", async () => {
    const whole = await (
      await client()
    ).chat.completions.create({ model: "team-llm", messages: [{ role: "user", content: "hi" }], max_tokens: 7 });
    expect(whole.choices[0]!.message.content).toBe("Hello from the upstream.");
    expect(whole.model).toBe("team-llm");
    const seen = upstream.log.requests.at(-1)!;
    expect(seen.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(seen.body).toMatchObject({
      model: "tiny-chat",
      max_tokens: 7,
      temperature: 0.2,
      messages: [{ role: "user", content: "hi" }],
    });
  });

  it("streams through chunk by chunk, passing tools through", async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      {
        type: "function",
        function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
      },
    ];
    const stream = await (
      await client()
    ).chat.completions.create({
      model: modelId,
      messages: [{ role: "user", content: "weather in Paris?" }],
      tools,
      tool_choice: "auto",
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let toolName: string | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.model).toBe("team-llm");
      text += chunk.choices[0]?.delta.content ?? "";
      toolName ??= chunk.choices[0]?.delta.tool_calls?.[0]?.function?.name;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Hello from the upstream.");
    expect(toolName).toBe("get_weather");
    expect(usage?.total_tokens).toBe(9);
    const seen = upstream.log.requests.at(-1)!;
    expect(seen.body).toMatchObject({
      model: "tiny-chat",
      stream: true,
      tools,
      tool_choice: "auto",
      stream_options: { include_usage: true },
    });
  });

  it("ends a stream whose upstream breaks with an error event instead of hanging", async () => {
    const stream = await (
      await client()
    ).chat.completions.create({ model: "broken-llm", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })().catch((e: unknown) => e);
    expect(text).toBe("Hello from the upstream.");
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as Error).message).toContain("broken-llm");
  });

  it("passes an upstream 4xx through unchanged, streaming or not, and never as a 502", async () => {
    for (const stream of [false, true]) {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${await signInternalToken(secret, editor)}`,
        },
        body: JSON.stringify({ model: "long-llm", messages: [{ role: "user", content: "hi" }], stream }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: {
          message: "This model's maximum context length is 8 tokens.",
          type: "invalid_request_error",
          param: "messages",
          code: "context_length_exceeded",
        },
      });
    }
    const busy = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await signInternalToken(secret, editor)}`,
      },
      body: JSON.stringify({ model: "busy-llm", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(busy.status).toBe(429);
    expect(busy.headers.get("retry-after")).toBe("7");
    expect(await busy.json()).toEqual({
      error: { message: "Rate limit reached", type: "requests", param: null, code: "rate_limit" },
    });
    // The SDK sees the upstream's own error class and code.
    const failure = await (
      await client()
    ).chat.completions
      .create({ model: "long-llm", messages: [{ role: "user", content: "hi" }], stream: true })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe("context_length_exceeded");
  });

  it("aborts the upstream request when the client disconnects mid-stream", async () => {
    const before = upstream.log.abortedStreams;
    const controller = new AbortController();
    const stream = await (
      await client()
    ).chat.completions.create(
      { model: "slow-llm", messages: [{ role: "user", content: "hi" }], stream: true },
      { signal: controller.signal },
    );
    let received = 0;
    await (async () => {
      for await (const _chunk of stream) if (++received === 3) controller.abort();
    })().catch(() => undefined);
    await waitFor(() => upstream.log.abortedStreams > before);
    expect(upstream.log.abortedStreams).toBe(before + 1);
  });

  it("writes a stream's events in batches with stream_options.batch_ms, the first answer text at once", async () => {
    const controller = new AbortController();
    const res = await postCompletion(
      {
        model: "slow-llm",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
        stream_options: { include_usage: true, batch_ms: 100 },
      },
      controller.signal,
    );
    expect(res.status).toBe(200);
    // What each read of the body brought: the words of its events.
    const reads: { words: string[] }[] = [];
    const decoder = new TextDecoder();
    let words = 0;
    for await (const bytes of res.body!) {
      const text = decoder.decode(bytes, { stream: true });
      const found = [...text.matchAll(/"content":"(w\d+) "/g)].map((m) => m[1]!);
      reads.push({ words: found });
      words += found.length;
      if (words >= 20) break;
    }
    controller.abort();
    // The upstream writes a word every 20 ms: the first goes out alone, then about five to a write.
    expect(reads[0]!.words).toEqual(["w0"]);
    expect(reads.flatMap((r) => r.words)).toEqual(Array.from({ length: words }, (_, i) => `w${i}`));
    expect(Math.max(...reads.slice(1).map((r) => r.words.length))).toBeGreaterThanOrEqual(3);
    expect(reads.length).toBeLessThan(words / 2);
    // The extension is the model API's own: the upstream never sees it.
    const seen = upstream.log.requests.at(-1)!;
    expect(seen.body).toMatchObject({ model: "slow-chat", stream_options: { include_usage: true } });
    expect((seen.body as { stream_options: object }).stream_options).not.toHaveProperty("batch_ms");
  });

  it("refuses a batch_ms out of range", async () => {
    const err = await (
      await client()
    ).chat.completions
      .create({
        model: "slow-llm",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
        stream_options: { batch_ms: 50_000 } as OpenAI.Chat.ChatCompletionStreamOptions,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/stream_options\.batch_ms/);
  });

  it("updates and deletes it; the owner may, another editor may not", async () => {
    const other: Caller = { userId: "00000000-0000-4000-8000-00000000e003", roles: ["editor"] };
    const denied = await gql(
      `mutation($id: ID!) { updateModel(id: $id, input: { description: "x" }) { id } }`,
      { id: modelId },
      other,
    );
    expect(denied.errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    const cleared = await gql(
      `mutation($id: ID!) { updateModel(id: $id, input: { apiKey: null, description: "Team model" }) { hasApiKey description baseUrl } }`,
      { id: modelId },
    );
    expect(cleared.data!.updateModel).toEqual({ hasApiKey: false, description: "Team model", baseUrl: upstream.url });
    const badRename = await gql(
      `mutation($id: ID!) { updateModel(id: $id, input: { name: "builtin-offline" }) { id } }`,
      { id: modelId },
    );
    expect(badRename.errors?.[0]?.extensions.code).toBe("CONFLICT");
    const deleted = await gql(`mutation($id: ID!) { deleteModel(id: $id) }`, { id: modelId });
    expect(deleted.data!.deleteModel).toBe(true);
    expect((await gql(`query($id: ID!) { model(id: $id) { id } }`, { id: modelId })).data!.model).toBeNull();
  });

  it("resolves Model references for the gateway", async () => {
    const result = await gql(
      `{ _entities(representations: [{ __typename: "Model", id: "builtin-offline" }, { __typename: "Model", id: "missing" }]) { ... on Model { name hasApiKey } } }`,
    );
    expect(result.data!._entities).toEqual([{ name: "builtin-offline", hasApiKey: false }, null]);
  });

  it("never returns the API key, plain or encrypted, in any GraphQL response", () => {
    expect(graphqlBodies.length).toBeGreaterThan(10);
    for (const body of graphqlBodies) {
      expect(body).not.toContain(UPSTREAM_KEY);
      expect(body).not.toMatch(/apiKey|v1:[\w-]+:[\w-]+:/);
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(test: () => boolean, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
