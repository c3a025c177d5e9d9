// The OpenAI-compatible API through the gateway, used the way other people's programs use it: the official
// `openai` SDK and LangChain's ChatOpenAI, unmodified, with an API key; upstream models are a loopback server.
import { ChatOpenAI } from "@langchain/openai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootPlatform, gqlOk, login, type Platform } from "./harness.js";
import { ANSWER, startModelUpstream, UPSTREAM_API_KEY, type ModelUpstream } from "./model-upstream.js";

let platform: Platform;
let upstream: ModelUpstream;
let apiKey: string;
let openai: OpenAI;

const REGISTER = `mutation($input: RegisterModelInput!) { registerModel(input: $input) { id name kind } }`;

beforeAll(async () => {
  upstream = await startModelUpstream();
  platform = await bootPlatform({ ODS_MODEL_PROBE_INTERVAL_MS: "0" });
  const token = await login(platform);
  const created = await gqlOk(platform, `mutation { createApiKey(name: "e2e-model-api") { secret } }`, {}, token);
  apiKey = created.createApiKey.secret;
  for (const [name, kind] of [
    ["e2e-chat", "CHAT"],
    ["e2e-embed", "EMBEDDING"],
    ["e2e-rerank", "RERANK"],
  ] as const) {
    await gqlOk(
      platform,
      REGISTER,
      {
        input: {
          name,
          kind,
          upstreamModel: name.replace("e2e-", "up-"),
          baseUrl: upstream.baseUrl,
          apiKey: UPSTREAM_API_KEY,
        },
      },
      token,
    );
  }
  await gqlOk(
    platform,
    `mutation($input: CreatePromptTemplateInput!) { createPromptTemplate(input: $input) { version } }`,
    { input: { name: "e2e-persona", template: "You answer as {{persona}}." } },
    token,
  );
  openai = new OpenAI({ baseURL: `${platform.url}/v1`, apiKey, maxRetries: 0 });
});

afterAll(async () => {
  await platform?.stop();
  await upstream?.stop();
});

const lastChatRequest = () => upstream.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!;

describe("the openai SDK through the gateway", () => {
  it("lists the built-in and registered models", async () => {
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(
      expect.arrayContaining(["builtin-offline", "builtin-embedder", "builtin-reranker", "e2e-chat", "e2e-embed"]),
    );
  });

  it("chats with the built-in model, with and without streaming, the same answer both ways", async () => {
    const messages = [{ role: "user" as const, content: "你好" }];
    const whole = await openai.chat.completions.create({ model: "builtin-offline", messages });
    const text = whole.choices[0]!.message.content!;
    expect(text.length).toBeGreaterThan(0);
    expect(whole.usage!.total_tokens).toBeGreaterThan(0);

    const stream = await openai.chat.completions.create({
      model: "builtin-offline",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(streamed).toBe(text);
    expect(usage!.completion_tokens).toBe(whole.usage!.completion_tokens);
  });

  it("proxies an upstream chat, streaming and not, under the registered name", async () => {
    const whole = await openai.chat.completions.create({
      model: "e2e-chat",
      messages: [{ role: "user", content: "Capital of France?" }],
      temperature: 0.2,
      response_format: { type: "text" },
    });
    expect(whole.model).toBe("e2e-chat");
    expect(whole.choices[0]!.message.content).toBe(ANSWER.join(""));
    expect(lastChatRequest().body).toMatchObject({
      model: "up-chat",
      temperature: 0.2,
      response_format: { type: "text" },
    });
    // The platform's key for the upstream is used, never the client's own key.
    expect(lastChatRequest().authorization).toBe(`Bearer ${UPSTREAM_API_KEY}`);

    const pieces: string[] = [];
    const stream = await openai.chat.completions.create({
      model: "e2e-chat",
      messages: [{ role: "user", content: "Capital of France?" }],
      stream: true,
    });
    for await (const chunk of stream) {
      expect(chunk.model).toBe("e2e-chat");
      if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
    }
    expect(pieces).toEqual(ANSWER);
  });

  it("passes tools and tool_choice through and tool calls back, then the tool result", async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather of a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ];
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris?" }];
    const first = await openai.chat.completions.create({ model: "e2e-chat", messages, tools, tool_choice: "auto" });
    expect(lastChatRequest().body).toMatchObject({ tools, tool_choice: "auto" });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call).toMatchObject({ id: "call_e2e", type: "function", function: { name: "get_weather" } });
    expect(JSON.parse((call as OpenAI.Chat.ChatCompletionMessageFunctionToolCall).function.arguments)).toEqual({
      city: "Paris",
    });

    // Streamed tool calls arrive as deltas the SDK's helper assembles.
    const runner = openai.chat.completions.stream({ model: "e2e-chat", messages, tools, tool_choice: "required" });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.tool_calls?.[0]).toMatchObject({ function: { name: "get_weather" } });

    const answer = await openai.chat.completions.create({
      model: "e2e-chat",
      tools,
      messages: [
        ...messages,
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: '{"temp":21}' },
      ],
    });
    expect(answer.choices[0]!.message.content).toBe(ANSWER.join(""));
    expect(lastChatRequest().body.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_e2e",
      content: '{"temp":21}',
    });
  });

  it("embeds batches with the built-in embedder and an upstream, as floats and base64", async () => {
    const builtin = await openai.embeddings.create({ model: "builtin-embedder", input: ["one", "two", "three"] });
    expect(builtin.data).toHaveLength(3);
    expect(builtin.data[2]!.embedding).toHaveLength(384);
    // The SDK asks for base64 by default and decodes it: the same vector as the float answer.
    const single = await openai.embeddings.create({ model: "builtin-embedder", input: "one" });
    expect(single.data[0]!.embedding[0]).toBeCloseTo(builtin.data[0]!.embedding[0]!, 5);

    const remote = await openai.embeddings.create({
      model: "e2e-embed",
      input: ["ab", "abcd"],
      encoding_format: "float",
    });
    expect(remote.model).toBe("e2e-embed");
    expect(remote.data.map((d) => d.embedding)).toEqual([
      [2, 0, 0.5],
      [4, 1, 0.5],
    ]);
  });

  it("answers errors in OpenAI's shape: unknown model, bad key", async () => {
    const unknown = await openai.chat.completions
      .create({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
    const bad = new OpenAI({ baseURL: `${platform.url}/v1`, apiKey: "ods_not-a-key", maxRetries: 0 });
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("renders a prompt template as the system message (the prompt_template extension)", async () => {
    await openai.chat.completions.create({
      model: "e2e-chat",
      messages: [{ role: "user", content: "hi" }],
      // @ts-expect-error -- the platform's extension; the SDK sends unknown body fields as they are
      prompt_template: { name: "e2e-persona", variables: { persona: "a pirate" } },
    });
    expect(lastChatRequest().body.messages[0]).toEqual({ role: "system", content: "You answer as a pirate." });
    expect(lastChatRequest().body).not.toHaveProperty("prompt_template");
  });
});

describe("rerank through the gateway (plain fetch, Jina/TEI shape)", () => {
  const rerank = (body: unknown) =>
    fetch(`${platform.url}/v1/rerank`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  const documents = ["Cats purr.", "SQLite keeps the embedded profile's tables in files.", "Nodes make workflows."];

  it("ranks with the built-in reranker", async () => {
    const { status, body } = await rerank({
      model: "builtin-reranker",
      query: "which files keep the embedded profile's tables?",
      documents,
      top_n: 2,
      return_documents: true,
    });
    expect(status).toBe(200);
    expect(body.results).toHaveLength(2);
    expect(body.results[0]).toMatchObject({ index: 1, document: { text: documents[1] } });
  });

  it("proxies a registered rerank model to its upstream's /rerank", async () => {
    const { status, body } = await rerank({
      model: "e2e-rerank",
      query: "q",
      documents: documents.map((text) => ({ text })),
    });
    expect(status).toBe(200);
    expect(body.model).toBe("e2e-rerank");
    expect(body.results.map((r: { index: number }) => r.index)).toEqual([1, 2, 0]);
    expect(upstream.requests.at(-1)).toMatchObject({ path: "/v1/rerank", body: { model: "up-rerank", documents } });
  });
});

describe("LangChain's ChatOpenAI against the gateway, unmodified", () => {
  const chat = (model: string) =>
    new ChatOpenAI({ model, apiKey, configuration: { baseURL: `${platform.url}/v1` }, maxRetries: 0 });

  it("invokes and streams an upstream model", async () => {
    const reply = await chat("e2e-chat").invoke("Capital of France?");
    expect(reply.content).toBe(ANSWER.join(""));
    const pieces: string[] = [];
    for await (const chunk of await chat("e2e-chat").stream("Capital of France?")) {
      if (typeof chunk.content === "string" && chunk.content) pieces.push(chunk.content);
    }
    expect(pieces.join("")).toBe(ANSWER.join(""));
  });

  it("invokes and streams the built-in model", async () => {
    const reply = await chat("builtin-offline").invoke([
      ["system", "The embedded profile stores everything in SQLite files under .data."],
      ["user", "Where does the embedded profile store everything?"],
    ]);
    expect(String(reply.content)).toContain("SQLite");
    let streamed = "";
    for await (const chunk of await chat("builtin-offline").stream("你好")) streamed += String(chunk.content);
    expect(streamed.length).toBeGreaterThan(0);
  });
});
