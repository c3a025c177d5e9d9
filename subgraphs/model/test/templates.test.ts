// Prompt templates (GraphQL and the chat extension) and POST /v1/rerank, against the model subgraph in-process.
import type { MikroORM } from "@mikro-orm/core";
import { createLogger, openDatabase, signInternalToken, type Caller } from "@ods/kit";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelSubgraph } from "../src/app.js";
import { loadModelConfig } from "../src/config.js";
import { migrations } from "../src/migrations/index.js";
import { entities } from "../src/schema.js";
import { startUpstream, UPSTREAM_KEY } from "./upstream.js";

const secret = "templates-test-internal-secret-0123456789abcdef";
const editor: Caller = { userId: "00000000-0000-4000-8000-00000000f001", roles: ["editor"] };
const otherEditor: Caller = { userId: "00000000-0000-4000-8000-00000000f002", roles: ["editor"] };
const viewer: Caller = { userId: "00000000-0000-4000-8000-00000000f003", roles: ["viewer"] };

let dir: string;
let orm: MikroORM;
let subgraph: Awaited<ReturnType<typeof startModelSubgraph>>;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let reranker: Server;
let rerankerUrl: string;
const rerankerRequests: Record<string, unknown>[] = [];
let base: string;

type GqlResult = { data?: Record<string, any>; errors?: { message: string; extensions: { code: string } }[] };

async function gql(query: string, variables: Record<string, unknown> = {}, caller = editor): Promise<GqlResult> {
  const res = await fetch(subgraph.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-ods-internal-token": await signInternalToken(secret, caller) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult;
}

async function post(path: string, body: unknown, caller = editor) {
  const res = await fetch(`${base}/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${await signInternalToken(secret, caller)}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const CREATE = `mutation($input: CreatePromptTemplateInput!) {
  createPromptTemplate(input: $input) { id name version template variables description owner { id } }
}`;
const UPDATE = `mutation($name: String!, $input: UpdatePromptTemplateInput!) {
  updatePromptTemplate(name: $name, input: $input) { name version template variables versions { version template } }
}`;
const RENDER = `query($name: String!, $version: Int, $variables: JSON) {
  renderPromptTemplate(name: $name, version: $version, variables: $variables)
}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ods-model-templates-"));
  upstream = await startUpstream();
  // A TEI-style rerank server: scores are the document's length, so the expected order is known.
  reranker = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const body = JSON.parse(raw || "{}");
      rerankerRequests.push({ path: req.url, ...body });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          model: body.model,
          results: (body.documents as string[]).map((d, index) => ({ index, relevance_score: d.length / 100 })),
          usage: { total_tokens: 42 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => reranker.listen(0, "127.0.0.1", resolve));
  rerankerUrl = `http://127.0.0.1:${(reranker.address() as AddressInfo).port}/v1`;
  orm = await openDatabase({ name: "model", dataDir: dir, entities, migrations });
  const config = loadModelConfig({
    ODS_INTERNAL_SECRET: secret,
    ODS_MODEL_PORT: "0",
    ODS_BUILTIN_TOKEN_DELAY_MS: "1",
    ODS_MODEL_PROBE_INTERVAL_MS: "0",
    ODS_LOG_LEVEL: "silent",
  });
  subgraph = await startModelSubgraph(config, orm, createLogger("model-templates-test", "silent"));
  base = `http://127.0.0.1:${subgraph.port}`;
});

afterAll(async () => {
  await subgraph?.close();
  await upstream?.close();
  await new Promise<void>((resolve) => (reranker ? reranker.close(() => resolve()) : resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe("prompt templates", () => {
  it("creates a template, versions it on update, and renders any version", async () => {
    const created = await gql(CREATE, {
      input: { name: "support", description: "Support persona", template: "You help {{customer}} with {{product}}." },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createPromptTemplate).toMatchObject({
      name: "support",
      version: 1,
      variables: ["customer", "product"],
      owner: { id: editor.userId },
    });

    const updated = await gql(UPDATE, {
      name: "support",
      input: { template: "You are kind to {{ customer }}." },
    });
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updatePromptTemplate).toMatchObject({
      version: 2,
      variables: ["customer"],
      versions: [{ version: 2 }, { version: 1, template: "You help {{customer}} with {{product}}." }],
    });

    const latest = await gql(RENDER, { name: "support", variables: { customer: "Ada" } });
    expect(latest.data!.renderPromptTemplate).toBe("You are kind to Ada.");
    const first = await gql(RENDER, { name: "support", version: 1, variables: { customer: "Ada", product: "SQL" } });
    expect(first.data!.renderPromptTemplate).toBe("You help Ada with SQL.");

    const one = await gql(`{ promptTemplate(name: "support", version: 1) { name version variables } }`, {}, viewer);
    expect(one.data!.promptTemplate).toEqual({ name: "support", version: 1, variables: ["customer", "product"] });
    const list = await gql(`{ promptTemplates { name version } }`, {}, viewer);
    expect(list.data!.promptTemplates).toContainEqual({ name: "support", version: 2 });
  });

  it("names a missing variable with BAD_USER_INPUT", async () => {
    const result = await gql(RENDER, { name: "support", version: 1, variables: { customer: "Ada" } });
    expect(result.errors?.[0]?.extensions.code).toBe("BAD_USER_INPUT");
    expect(result.errors?.[0]?.message).toBe("Missing template variable: product");
  });

  it("refuses bad input, duplicates, unknown templates and other owners' changes", async () => {
    const undeclared = await gql(CREATE, { input: { name: "t2", template: "{{a}} {{b}}", variables: ["a"] } });
    expect(undeclared.errors?.[0]?.extensions.code).toBe("BAD_USER_INPUT");
    expect(undeclared.errors?.[0]?.message).toMatch(/undeclared variables: b/);
    const badName = await gql(CREATE, { input: { name: " ", template: "x" } });
    expect(badName.errors?.[0]?.message).toMatch(/^Invalid input: name: /);
    const duplicate = await gql(CREATE, { input: { name: "support", template: "x" } });
    expect(duplicate.errors?.[0]?.extensions.code).toBe("CONFLICT");
    const missing = await gql(RENDER, { name: "nope" });
    expect(missing.errors?.[0]?.extensions.code).toBe("NOT_FOUND");
    const foreign = await gql(UPDATE, { name: "support", input: { template: "mine now" } }, otherEditor);
    expect(foreign.errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    const byViewer = await gql(CREATE, { input: { name: "t3", template: "x" } }, viewer);
    expect(byViewer.errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    const still = await gql(`{ promptTemplate(name: "support") { version template } }`);
    expect(still.data!.promptTemplate).toEqual({ version: 2, template: "You are kind to {{ customer }}." });
  });

  it("renders prompt_template as the system message of a chat completion, never sent upstream", async () => {
    const registered = await gql(`mutation($input: RegisterModelInput!) { registerModel(input: $input) { id } }`, {
      input: { name: "tiny-chat", kind: "CHAT", baseUrl: upstream.url, apiKey: UPSTREAM_KEY },
    });
    expect(registered.errors).toBeUndefined();
    const answer = await post("/chat/completions", {
      model: "tiny-chat",
      messages: [{ role: "user", content: "hi" }],
      prompt_template: { name: "support", variables: { customer: "Grace" } },
    });
    expect(answer.status).toBe(200);
    const sent = upstream.log.requests.at(-1)!.body;
    expect(sent.messages).toEqual([
      { role: "system", content: "You are kind to Grace." },
      { role: "user", content: "hi" },
    ]);
    expect(sent).not.toHaveProperty("prompt_template");

    const missing = await post("/chat/completions", {
      model: "tiny-chat",
      messages: [{ role: "user", content: "hi" }],
      prompt_template: { name: "support", version: 1, variables: { customer: "Grace" } },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ param: "prompt_template.variables", type: "invalid_request_error" });
    expect(missing.body.error.message).toContain("product");
    const unknown = await post("/chat/completions", {
      model: "tiny-chat",
      messages: [{ role: "user", content: "hi" }],
      prompt_template: { name: "nope" },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("prompt_template_not_found");
  });
});

describe("POST /v1/rerank", () => {
  const documents = [
    "Bananas are yellow.",
    "The embedded profile stores its data in SQLite files under .data.",
    "Workflows are built from nodes.",
  ];

  it("ranks with the built-in reranker, strings or {text} objects, top_n and return_documents", async () => {
    const list = await fetch(`${base}/v1/models`, {
      headers: { authorization: `Bearer ${await signInternalToken(secret, viewer)}` },
    }).then((r) => r.json() as Promise<any>);
    expect(list.data.map((m: { id: string }) => m.id)).toContain("builtin-reranker");

    const ranked = await post(
      "/rerank",
      {
        model: "builtin-reranker",
        query: "where is the data of the embedded profile stored?",
        documents: documents.map((text) => ({ text })),
        top_n: 2,
        return_documents: true,
      },
      viewer,
    );
    expect(ranked.status).toBe(200);
    expect(ranked.body.model).toBe("builtin-reranker");
    expect(ranked.body.results).toHaveLength(2);
    expect(ranked.body.results[0]).toMatchObject({ index: 1, document: { text: documents[1] } });
    expect(ranked.body.results[0].relevance_score).toBeGreaterThan(ranked.body.results[1].relevance_score);
    expect(ranked.body.usage.total_tokens).toBeGreaterThan(0);

    const plain = await post("/rerank", { model: "builtin-reranker", query: "nodes", documents });
    expect(plain.body.results).toHaveLength(3);
    expect(plain.body.results[0]).not.toHaveProperty("document");
  });

  it("answers bad requests and wrong model kinds in OpenAI's error shape", async () => {
    const empty = await post("/rerank", { model: "builtin-reranker", query: "q", documents: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain("documents: must hold at least one document");
    const chat = await post("/rerank", { model: "builtin-offline", query: "q", documents: ["a"] });
    expect(chat.status).toBe(400);
    expect(chat.body.error.message).toContain("is a chat model; call /v1/chat/completions");
    const wrong = await post("/embeddings", { model: "builtin-reranker", input: "a" });
    expect(wrong.body.error.message).toContain("is a rerank model; call /v1/rerank");
  });

  it("proxies an OPENAI_COMPATIBLE rerank model to <baseUrl>/rerank", async () => {
    const registered = await gql(`mutation($input: RegisterModelInput!) { registerModel(input: $input) { id kind } }`, {
      input: { name: "remote-rerank", upstreamModel: "bge-reranker", kind: "RERANK", baseUrl: rerankerUrl },
    });
    expect(registered.data!.registerModel.kind).toBe("RERANK");
    const ranked = await post("/rerank", { model: "remote-rerank", query: "q", documents, top_n: 2 });
    expect(ranked.status).toBe(200);
    expect(rerankerRequests.at(-1)).toMatchObject({ path: "/v1/rerank", model: "bge-reranker", documents, top_n: 2 });
    expect(ranked.body).toMatchObject({
      model: "remote-rerank",
      results: [
        { index: 1, relevance_score: documents[1]!.length / 100 },
        { index: 2, relevance_score: documents[2]!.length / 100 },
      ],
      usage: { prompt_tokens: 42, total_tokens: 42 },
    });
  });
});
