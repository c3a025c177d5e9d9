// The end-to-end suite: the whole platform as separate processes, used only through public clients.
import { createClient } from "graphql-ws";
import OpenAI from "openai";
import WebSocket from "ws";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, bootPlatform, collect, gql, gqlOk, login, wsClient, type Platform } from "./harness.js";

let platform: Platform;
let token: string;

beforeAll(async () => {
  platform = await bootPlatform();
  token = await login(platform);
});

afterAll(async () => {
  await platform?.stop();
});

const STREAM = `subscription Stream($id: ID!, $after: Int) {
  messageStream(messageId: $id, afterSeq: $after) {
    __typename
    ... on MessageToken { seq delta }
    ... on MessageDone { seq message { id content status model { name } } }
    ... on MessageFailed { seq code reason message { id content status } }
  }
}`;
type StreamEvent = {
  messageStream: {
    __typename: string;
    seq: number;
    delta?: string;
    message?: { content: string; status: string; model?: { name: string } };
  };
};
const terminal = (e: StreamEvent) => e.messageStream.__typename !== "MessageToken";

async function newConversation(title = "e2e") {
  const data = await gqlOk(
    platform,
    "mutation($input: CreateConversationInput!) { createConversation(input: $input) { id } }",
    { input: { title } },
    token,
  );
  return data.createConversation.id as string;
}

async function send(conversationId: string, content: string) {
  const data = await gqlOk(
    platform,
    `mutation($input: SendMessageInput!) { sendMessage(input: $input) { userMessage { id content } assistantMessage { id status } } }`,
    { input: { conversationId, content } },
    token,
  );
  return data.sendMessage as { userMessage: { id: string }; assistantMessage: { id: string; status: string } };
}

async function storedMessage(conversationId: string, messageId: string) {
  const data = await gqlOk(
    platform,
    "query($id: ID!) { conversation(id: $id) { messages { id role content status } } }",
    { id: conversationId },
    token,
  );
  return (data.conversation.messages as { id: string; content: string; status: string }[]).find(
    (m) => m.id === messageId,
  )!;
}

describe("authentication", () => {
  it("refuses a request without a token with UNAUTHENTICATED", async () => {
    const result = await gql(platform, "{ conversations { totalCount } }");
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(result.data?.conversations ?? null).toBeNull();
  });

  it("refuses a bad or forged token", async () => {
    const forged = await new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("x")
      .sign(new TextEncoder().encode("guess"));
    for (const bad of ["garbage", forged]) {
      const result = await gql(platform, "{ me { id } }", {}, bad);
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
  });

  it("signs in and sets an HttpOnly session cookie", async () => {
    const result = await gql(
      platform,
      "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken expiresAt user { email } } }",
      { e: ADMIN.email, p: ADMIN.password },
    );
    expect(result.data?.login.user.email).toBe(ADMIN.email);
    expect(result.headers.get("set-cookie")).toMatch(/ods_session=.+; .*HttpOnly/i);
    const me = await gqlOk(platform, "{ me { email roles } }", {}, token);
    expect(me.me).toEqual({ email: ADMIN.email, roles: ["ADMIN"] });
  });

  it("a subgraph called directly, without the gateway's internal token, refuses", async () => {
    for (const name of ["identity", "dataset", "model", "conversation", "workflow"]) {
      const res = await fetch(`http://127.0.0.1:${platform.ports[name]}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
          "x-ods-internal-token": "forged",
        },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
      expect(res.status, name).toBe(401);
    }
  });
});

describe("authentication over graphql-ws", () => {
  const cookieSocket = (origin: string) =>
    class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { cookie: `ods_session=${token}`, origin } });
      }
    };
  /** What a one-off subscription failed with: GraphQL errors or the socket's close event, as text. */
  const failure = (client: ReturnType<typeof createClient>) =>
    collect(
      client,
      "subscription($id: ID!) { messageStream(messageId: $id) { __typename } }",
      { id: "none" },
      () => true,
      5_000,
    ).then(
      () => "no failure",
      (err: unknown) => {
        const e = err as { code?: number; reason?: string; message?: string };
        return `${JSON.stringify(err)} ${e.code ?? ""} ${e.reason ?? ""} ${e.message ?? ""}`;
      },
    );

  it("refuses a connection with a bad token", async () => {
    const client = wsClient(platform, "garbage");
    expect(await failure(client)).toMatch(/4403|Forbidden/);
    await client.dispose();
  });

  it("accepts the session cookie from the platform's own origin and refuses it from another site", async () => {
    const url = `${platform.url.replace(/^http/, "ws")}/graphql`;
    const own = createClient({ url, webSocketImpl: cookieSocket(platform.url), retryAttempts: 0 });
    // Authenticated: the subgraph answers NOT_FOUND for a message that does not exist, not UNAUTHENTICATED.
    expect(await failure(own)).toMatch(/NOT_FOUND/);
    await own.dispose();
    const foreign = createClient({ url, webSocketImpl: cookieSocket("http://evil.example"), retryAttempts: 0 });
    expect(await failure(foreign)).toMatch(/4403|Forbidden/);
    await foreign.dispose();
  });
});

describe("federation", () => {
  it("answers one query that crosses three subgraphs", async () => {
    const id = await newConversation("Crossing");
    const data = await gqlOk(
      platform,
      "query($id: ID!) { conversation(id: $id) { title owner { email } model { name kind provider } } }",
      { id },
      token,
    );
    expect(data.conversation).toEqual({
      title: "Crossing",
      owner: { email: ADMIN.email },
      model: { name: "builtin-offline", kind: "CHAT", provider: "BUILTIN" },
    });
  });
});

describe("a streamed chat over graphql-ws through the gateway", () => {
  it("streams seq 1..n without a gap, deltas concatenate to the stored message, the terminal event last", async () => {
    const conversationId = await newConversation();
    const { assistantMessage } = await send(conversationId, "Hello there");
    expect(assistantMessage.status).toBe("STREAMING");
    const client = wsClient(platform, token);
    const events = await collect<StreamEvent>(client, STREAM, { id: assistantMessage.id }, terminal);
    await client.dispose();
    const seqs = events.map((e) => e.messageStream.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(events.length).toBeGreaterThan(3);
    const last = events.at(-1)!.messageStream;
    expect(last.__typename).toBe("MessageDone");
    expect(events.slice(0, -1).every((e) => e.messageStream.__typename === "MessageToken")).toBe(true);
    const text = events.map((e) => e.messageStream.delta ?? "").join("");
    expect(last.message).toMatchObject({ content: text, status: "COMPLETE", model: { name: "builtin-offline" } });
    expect(text).toContain("builtin-offline");
    expect((await storedMessage(conversationId, assistantMessage.id)).content).toBe(text);
  });

  it("resumes with afterSeq in mid-stream without losing or repeating a token", async () => {
    const conversationId = await newConversation();
    const { assistantMessage } = await send(conversationId, "Tell me about yourself");
    const first = wsClient(platform, token);
    const head = await collect<StreamEvent>(
      first,
      STREAM,
      { id: assistantMessage.id },
      (e) => e.messageStream.seq >= 3 || terminal(e),
    );
    await first.dispose();
    const lastSeen = head.at(-1)!.messageStream.seq;
    const second = wsClient(platform, token);
    const tail = await collect<StreamEvent>(second, STREAM, { id: assistantMessage.id, after: lastSeen }, terminal);
    await second.dispose();
    const all = [...head, ...tail].map((e) => e.messageStream);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    const text = all.map((e) => e.delta ?? "").join("");
    expect(all.at(-1)!.message?.content).toBe(text);
  });

  it("stopGeneration leaves STOPPED with the partial text kept", async () => {
    const conversationId = await newConversation();
    const { assistantMessage } = await send(conversationId, "Please write a long answer");
    const client = wsClient(platform, token);
    let stopped = false;
    const events = await collect<StreamEvent>(client, STREAM, { id: assistantMessage.id }, (e) => {
      if (!stopped && e.messageStream.seq >= 2) {
        stopped = true;
        void gqlOk(
          platform,
          "mutation($id: ID!) { stopGeneration(messageId: $id) { id } }",
          { id: assistantMessage.id },
          token,
        );
      }
      return terminal(e);
    });
    await client.dispose();
    const last = events.at(-1)!.messageStream;
    expect(last.message?.status).toBe("STOPPED");
    const text = events.map((e) => e.messageStream.delta ?? "").join("");
    expect(text.length).toBeGreaterThan(0);
    const stored = await storedMessage(conversationId, assistantMessage.id);
    expect(stored).toMatchObject({ status: "STOPPED", content: text });
    // The built-in model's full answer to the same prompt is longer: the stop really stopped it.
    const full = await send(conversationId, "Please write a long answer");
    const c2 = wsClient(platform, token);
    const complete = await collect<StreamEvent>(c2, STREAM, { id: full.assistantMessage.id }, terminal);
    await c2.dispose();
    expect(complete.at(-1)!.messageStream.message!.content.length).toBeGreaterThan(text.length);
  });
});

describe("chat: send and stream in one subscription", () => {
  const CHAT = `subscription Chat($input: SendMessageInput!) {
    chat(input: $input) {
      __typename
      ... on MessageStarted {
        seq
        conversation { id title }
        userMessage { id content }
        assistantMessage { id status }
      }
      ... on MessageToken { seq delta }
      ... on MessageDone { seq message { id content status } }
      ... on MessageFailed { seq code reason }
    }
  }`;
  type ChatEvent = {
    chat: {
      __typename: string;
      seq: number;
      delta?: string;
      conversation?: { id: string; title: string };
      userMessage?: { id: string; content: string };
      assistantMessage?: { id: string; status: string };
      message?: { id: string; content: string; status: string };
    };
  };
  const ended = (e: ChatEvent) => ["MessageDone", "MessageFailed"].includes(e.chat.__typename);

  it("starts a conversation, sends MessageStarted, then the reply's tokens and MessageDone as stored", async () => {
    const client = wsClient(platform, token);
    const events = await collect<ChatEvent>(client, CHAT, { input: { content: "Hello from one operation" } }, ended);
    await client.dispose();
    const [started, ...rest] = events.map((e) => e.chat);
    expect(started).toMatchObject({
      __typename: "MessageStarted",
      seq: 0,
      conversation: { title: "Hello from one operation" },
      userMessage: { content: "Hello from one operation" },
      assistantMessage: { status: "STREAMING" },
    });
    expect(rest.map((e) => e.seq)).toEqual(Array.from({ length: rest.length }, (_, i) => i + 1));
    const done = rest.at(-1)!;
    expect(done.__typename).toBe("MessageDone");
    const text = rest.map((e) => e.delta ?? "").join("");
    expect(done.message).toMatchObject({ id: started!.assistantMessage!.id, content: text, status: "COMPLETE" });
    expect((await storedMessage(started!.conversation!.id, started!.assistantMessage!.id)).content).toBe(text);
  });

  it("a dropped chat resumes with messageStream after the last seq it got", async () => {
    const conversationId = await newConversation();
    const first = wsClient(platform, token);
    const head = await collect<ChatEvent>(
      first,
      CHAT,
      { input: { conversationId, content: "Tell me about yourself" } },
      (e) => e.chat.seq >= 2 || ended(e),
    );
    await first.dispose();
    const replyId = head[0]!.chat.assistantMessage!.id;
    const second = wsClient(platform, token);
    const tail = await collect<StreamEvent>(second, STREAM, { id: replyId, after: head.at(-1)!.chat.seq }, terminal);
    await second.dispose();
    const all = [...head.slice(1).map((e) => e.chat), ...tail.map((e) => e.messageStream)];
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(all.at(-1)!.message?.content).toBe(all.map((e) => e.delta ?? "").join(""));
  });

  it("refuses bad input and a busy conversation with the error's code before any event, storing nothing", async () => {
    const client = wsClient(platform, token);
    const codeOf = (input: Record<string, unknown>) =>
      collect<ChatEvent>(client, CHAT, { input }, ended).then(
        (events) => `no error: ${JSON.stringify(events[0])}`,
        (err: Error) => JSON.parse(err.message.replace(/^subscription error: /, ""))[0].extensions.code as string,
      );
    const conversationId = await newConversation();
    expect(await codeOf({ conversationId, content: "   " })).toBe("BAD_USER_INPUT");
    expect(await codeOf({ conversationId: "no-such-conversation", content: "hi" })).toBe("NOT_FOUND");
    const busy = await send(conversationId, "Please write a long answer");
    expect(await codeOf({ conversationId, content: "and another thing" })).toBe("CONFLICT");
    const done = await collect<StreamEvent>(client, STREAM, { id: busy.assistantMessage.id }, terminal);
    await client.dispose();
    expect(done.at(-1)!.messageStream.__typename).toBe("MessageDone");
    const data = await gqlOk(
      platform,
      "query($id: ID!) { conversation(id: $id) { messages { content } } }",
      { id: conversationId },
      token,
    );
    expect(data.conversation.messages).toHaveLength(2);
  });
});

describe("the OpenAI-compatible API at /v1", () => {
  it("works with the official openai SDK and an API key", async () => {
    const key = await gqlOk(platform, 'mutation { createApiKey(name: "e2e sdk") { secret } }', {}, token);
    const openai = new OpenAI({ baseURL: `${platform.url}/v1`, apiKey: key.createApiKey.secret });
    const models = [];
    for await (const model of openai.models.list()) models.push(model.id);
    expect(models).toEqual(expect.arrayContaining(["builtin-offline", "builtin-embedder"]));
    const stream = await openai.chat.completions.create({
      model: "builtin-offline",
      messages: [
        { role: "system", content: "One Data Studio runs on a single machine. 北京是中国的首都。" },
        { role: "user", content: "你好，中国的首都是哪里？" },
      ],
      stream: true,
    });
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      chunks++;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toContain("北京");
    const embeddings = await openai.embeddings.create({ model: "builtin-embedder", input: ["hello", "你好"] });
    expect(embeddings.data.map((d) => d.embedding.length)).toEqual([384, 384]);
  });

  it("refuses calls without a valid key in OpenAI's error shape", async () => {
    const openai = new OpenAI({ baseURL: `${platform.url}/v1`, apiKey: "ods_000000000000_notarealkeynotarealkey" });
    await expect(openai.models.list()).rejects.toMatchObject({ status: 401 });
  });
});

describe("datasets", () => {
  it("uploads a CSV through the gateway, registers it with inferred columns, and previews it", async () => {
    const csv = "id,name,amount,when\n1,Ada,10.5,2024-01-02\n2,Grace,,2024-02-03\n3,Linus,7,2024-03-04\n";
    const target = (
      await gqlOk(
        platform,
        "mutation($input: CreateUploadUrlInput!) { createUploadUrl(input: $input) { url method headers key } }",
        {
          input: { fileName: "people.csv", contentType: "text/csv", size: Buffer.byteLength(csv) },
        },
        token,
      )
    ).createUploadUrl;
    const put = await fetch(new URL(target.url, platform.url), {
      method: target.method,
      headers: target.headers,
      body: csv,
    });
    expect(put.status).toBe(201);
    const { registerDataset } = await gqlOk(
      platform,
      "mutation($input: RegisterDatasetInput!) { registerDataset(input: $input) { id tableName columns { name type nullable } owner { email } } }",
      { input: { name: "People", storagePath: target.key } },
      token,
    );
    expect(registerDataset.owner.email).toBe(ADMIN.email);
    expect(registerDataset.columns).toEqual([
      { name: "id", type: "INTEGER", nullable: false },
      { name: "name", type: "STRING", nullable: false },
      { name: "amount", type: "FLOAT", nullable: true },
      { name: "when", type: "DATE", nullable: false },
    ]);
    const { dataset } = await gqlOk(
      platform,
      "query($id: ID!) { dataset(id: $id) { preview(limit: 2) { rows totalRows } } }",
      { id: registerDataset.id },
      token,
    );
    expect(dataset.preview.rows).toHaveLength(2);
    expect(dataset.preview.totalRows).toBe(3);
    expect(dataset.preview.rows[0]).toMatchObject({ id: 1, name: "Ada" });
  });
});

describe("workflows", () => {
  it("runs input → llm → output and streams its events, with fields from other subgraphs in the payload", async () => {
    const { createWorkflow } = await gqlOk(
      platform,
      "mutation($input: CreateWorkflowInput!) { createWorkflow(input: $input) { id } }",
      {
        input: {
          name: "Answer",
          nodes: [
            { id: "in", type: "input", config: { fields: ["question"] } },
            {
              id: "llm",
              type: "llm",
              config: {
                systemPrompt: "Rayleigh scattering makes the sky blue. Grass is green.",
                prompt: "{{input.question}}",
              },
            },
            { id: "out", type: "output", config: {} },
          ],
          edges: [
            { source: "in", target: "llm" },
            { source: "llm", target: "out" },
          ],
        },
      },
      token,
    );
    const { runWorkflow } = await gqlOk(
      platform,
      'mutation($id: ID!) { runWorkflow(id: $id, inputs: { question: "Why is the sky blue?" }) { id status } }',
      { id: createWorkflow.id },
      token,
    );
    const client = wsClient(platform, token);
    type Ev = {
      executionEvents: {
        seq: number;
        type: string;
        nodeId?: string;
        execution: { status: string; workflow: { name: string; owner: { email: string } } };
      };
    };
    const events = await collect<Ev>(
      client,
      `subscription($id: ID!) { executionEvents(executionId: $id) { seq type nodeId execution { status workflow { name owner { email } } } } }`,
      { id: runWorkflow.id },
      (e) => e.executionEvents.type === "EXECUTION_FINISHED",
    );
    await client.dispose();
    const seqs = events.map((e) => e.executionEvents.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const last = events.at(-1)!.executionEvents;
    expect(last.type).toBe("EXECUTION_FINISHED");
    expect(last.execution).toEqual({
      status: "SUCCEEDED",
      workflow: { name: "Answer", owner: { email: ADMIN.email } },
    });
    const started = events
      .filter((e) => e.executionEvents.type === "NODE_STARTED")
      .map((e) => e.executionEvents.nodeId);
    expect(started).toEqual(["in", "llm", "out"]);
    const { execution } = await gqlOk(
      platform,
      "query($id: ID!) { execution(id: $id) { status outputs nodeRuns { nodeId status durationMs } } }",
      { id: runWorkflow.id },
      token,
    );
    expect(execution.nodeRuns.map((r: { nodeId: string; status: string }) => [r.nodeId, r.status])).toEqual([
      ["in", "SUCCEEDED"],
      ["llm", "SUCCEEDED"],
      ["out", "SUCCEEDED"],
    ]);
    expect(JSON.stringify(execution.outputs)).toContain("Rayleigh");
  });
});
