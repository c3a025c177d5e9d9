import { rmSync } from "node:fs";
import { createPubSub, verifyInternalToken } from "@ods/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Message } from "../src/entities/index.js";
import { ConversationService } from "../src/services/conversation-service.js";
import { gql, gqlOk, readStream, SECRET, startInstance, tempDir, user, type StreamEvent } from "./harness.js";
import { startModelServer, tokenText, type ModelServer } from "./model-server.js";

const alice = user("alice");
const bob = user("bob");

const CREATE = /* GraphQL */ `
  mutation ($input: CreateConversationInput!) {
    createConversation(input: $input) {
      id
      title
      modelId
      systemPrompt
      promptTemplate
      params
      owner {
        id
      }
      model {
        id
      }
    }
  }
`;
const SEND = /* GraphQL */ `
  mutation ($input: SendMessageInput!) {
    sendMessage(input: $input) {
      userMessage {
        id
        role
        status
        content
      }
      assistantMessage {
        id
        role
        status
        content
        modelId
        model {
          id
        }
      }
    }
  }
`;
const STOP = /* GraphQL */ `
  mutation ($id: ID!) {
    stopGeneration(messageId: $id) {
      id
      status
      content
      lastSeq
    }
  }
`;
const MESSAGES = /* GraphQL */ `
  query ($id: ID!) {
    conversation(id: $id) {
      messages {
        id
        role
        status
        content
        lastSeq
        ttftMs
        latencyMs
        errorCode
        usage {
          promptTokens
          completionTokens
          totalTokens
        }
      }
    }
  }
`;

const expected = (n: number) => Array.from({ length: n }, (_, i) => tokenText(i)).join("");
const deltas = (events: StreamEvent[]) => events.map((e) => e.delta ?? "").join("");

/** seq runs 1..n without a gap or repeat, and only the last event is terminal. */
function expectWellFormed(events: StreamEvent[], from = 1) {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => from + i));
  expect(events.slice(0, -1).every((e) => e.__typename === "MessageToken")).toBe(true);
  expect(events.at(-1)!.__typename).not.toBe("MessageToken");
}

describe("conversation subgraph", () => {
  let model: ModelServer;
  let app: Awaited<ReturnType<typeof startInstance>>;
  let dir: string;

  beforeAll(async () => {
    model = await startModelServer();
    dir = tempDir();
    app = await startInstance({
      dataDir: dir,
      modelUrl: model.url,
      env: { ODS_STREAM_RETENTION_SECONDS: "1", ODS_STREAM_BATCH_MS: "15", ODS_MODEL_IDLE_TIMEOUT_MS: "800" },
      tuning: { flushMs: 100 },
    });
  });

  afterAll(async () => {
    await app?.close();
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function conversation(caller = alice, input: Record<string, unknown> = {}) {
    return (await gqlOk(app.url, caller, CREATE, { input })).createConversation as { id: string; modelId: string };
  }

  async function send(conversationId: string, content: string, caller = alice) {
    const data = await gqlOk(app.url, caller, SEND, { input: { conversationId, content } });
    return data.sendMessage as {
      userMessage: { id: string; status: string };
      assistantMessage: { id: string; status: string; modelId: string };
    };
  }

  async function stored(conversationId: string) {
    const data = await gqlOk(app.url, alice, MESSAGES, { id: conversationId });
    return data.conversation.messages as {
      id: string;
      role: string;
      status: string;
      content: string;
      lastSeq: number;
      ttftMs: number | null;
      latencyMs: number | null;
      errorCode: string | null;
      usage: { promptTokens: number; completionTokens: number; totalTokens: number } | null;
    }[];
  }

  it("creates conversations with defaults and lists the caller's own, newest first, with search", async () => {
    const created = (await gqlOk(app.url, alice, CREATE, { input: {} })).createConversation;
    expect(created).toMatchObject({
      title: "New conversation",
      modelId: "builtin-offline",
      params: {},
      owner: { id: "alice" },
      model: { id: "builtin-offline" },
    });
    const named = await conversation(alice, { title: "Quarterly Sales", params: { temperature: 0.2 } });
    await conversation(bob, { title: "Bob's sales" });
    const list = await gqlOk(
      app.url,
      alice,
      `query { conversations(first: 10) { totalCount edges { node { id ownerId } } pageInfo { hasNextPage } } }`,
    );
    const ids = list.conversations.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(ids.indexOf(named.id)).toBeLessThan(ids.indexOf(created.id));
    expect(list.conversations.edges.every((e: { node: { ownerId: string } }) => e.node.ownerId === "alice")).toBe(true);
    const found = await gqlOk(app.url, alice, `query { conversations(search: "sales") { edges { node { id } } } }`);
    expect(found.conversations.edges).toEqual([{ node: { id: named.id } }]);
    const renamed = await gqlOk(
      app.url,
      alice,
      `mutation ($id: ID!) { renameConversation(id: $id, title: "Q3") { title } }`,
      {
        id: named.id,
      },
    );
    expect(renamed.renameConversation.title).toBe("Q3");
  });

  it("streams a reply: seq 1..n with no gap, deltas equal the stored text, terminal event last", async () => {
    const { id } = await conversation(alice, { systemPrompt: "Be brief.", params: { maxTokens: 64 } });
    const sent = await send(id, "hello tokens:30 delay:3");
    expect(sent.userMessage.status).toBe("COMPLETE");
    expect(sent.assistantMessage).toMatchObject({ status: "STREAMING", modelId: "builtin-offline" });

    const { events, errors } = await readStream(app.url, alice, sent.assistantMessage.id);
    expect(errors).toBeUndefined();
    expectWellFormed(events);
    const done = events.at(-1)!;
    expect(done.__typename).toBe("MessageDone");
    expect(deltas(events)).toBe(expected(30));
    // Batching: 30 deltas 3 ms apart arrive in fewer events than tokens.
    expect(events.length).toBeLessThan(31);
    expect(done.message).toMatchObject({ status: "COMPLETE", content: expected(30), lastSeq: done.seq });
    expect(done.message!.usage).toEqual({ promptTokens: 7, completionTokens: 30, totalTokens: 37 });

    const [question, reply] = await stored(id);
    expect(question).toMatchObject({ role: "USER", content: "hello tokens:30 delay:3" });
    expect(reply).toMatchObject({ role: "ASSISTANT", status: "COMPLETE", content: expected(30), lastSeq: done.seq });
    expect(reply!.ttftMs).toBeGreaterThanOrEqual(0);
    expect(reply!.latencyMs).toBeGreaterThanOrEqual(reply!.ttftMs!);

    // The model API saw one streaming call, made as the conversation service acting for alice.
    const request = model.requests.at(-1)!;
    expect(request.body).toMatchObject({
      model: "builtin-offline",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 64,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hello tokens:30 delay:3" },
      ],
    });
    const caller = await verifyInternalToken(SECRET, request.authorization!.replace(/^Bearer /, ""));
    expect(caller).toMatchObject({ userId: "alice", service: "conversation" });

    // The next turn carries the finished exchange as history.
    const next = await send(id, "again tokens:2");
    await readStream(app.url, alice, next.assistantMessage.id);
    expect(model.requests.at(-1)!.body.messages.map((m) => m.content)).toEqual([
      "Be brief.",
      "hello tokens:30 delay:3",
      expected(30),
      "again tokens:2",
    ]);
  });

  it("sends the conversation's prompt template as prompt_template, and its systemPrompt once", async () => {
    const promptTemplate = { name: "support", version: 2, variables: { product: "Studio" } };
    const created = (await gqlOk(app.url, alice, CREATE, { input: { systemPrompt: "Be brief.", promptTemplate } }))
      .createConversation as { id: string; promptTemplate: unknown };
    expect(created.promptTemplate).toEqual(promptTemplate);
    const sent = await send(created.id, "hi tokens:2");
    await readStream(app.url, alice, sent.assistantMessage.id);
    const request = model.requests.find((r) => r.body.messages.at(-1)?.content === "hi tokens:2")!;
    expect(request.body.prompt_template).toEqual(promptTemplate);
    // The model API puts the template's system message first; the conversation's own comes once, after it.
    expect(request.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "hi tokens:2" },
    ]);

    // Without a template, no extension field is sent at all.
    const plain = await conversation(alice, {});
    await readStream(app.url, alice, (await send(plain.id, "plain tokens:1")).assistantMessage.id);
    const plainRequest = model.requests.find((r) => r.body.messages.at(-1)?.content === "plain tokens:1")!;
    expect("prompt_template" in plainRequest.body).toBe(false);

    for (const bad of [
      {},
      { name: "" },
      { name: "x", version: 0 },
      { name: "x", variables: [1] },
      { name: "x", y: 1 },
    ]) {
      const result = await gql(app.url, alice, CREATE, { input: { promptTemplate: bad } });
      expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(result.errors?.[0]?.message).toMatch(/promptTemplate/);
    }
  });

  it("resumes after a reconnect with afterSeq: no token lost or repeated", async () => {
    const { id } = await conversation();
    const sent = await send(id, "tokens:60 delay:5");
    const first = await readStream(app.url, alice, sent.assistantMessage.id, { stopAfter: 3 });
    expect(first.events).toHaveLength(3);
    expect(first.events.every((e) => e.__typename === "MessageToken")).toBe(true);
    const lastSeen = first.events.at(-1)!.seq;
    // Disconnecting did not stop the generation.
    expect(app.generation.isRunning(sent.assistantMessage.id)).toBe(true);
    const rest = await readStream(app.url, alice, sent.assistantMessage.id, { afterSeq: lastSeen });
    expectWellFormed(rest.events, lastSeen + 1);
    expect(deltas(first.events) + deltas(rest.events)).toBe(expected(60));
    expect(rest.events.at(-1)!.message!.content).toBe(expected(60));
  });

  it("stopGeneration keeps the partial text as STOPPED and aborts the upstream request", async () => {
    const { id } = await conversation();
    const sent = await send(id, "tokens:2000 delay:5");
    const messageId = sent.assistantMessage.id;
    let resolveSome: () => void;
    const some = new Promise<void>((resolve) => (resolveSome = resolve));
    const reading = readStream(app.url, alice, messageId, { onEvent: (e) => e.seq >= 3 && resolveSome() });
    await some;
    const stopped = (await gqlOk(app.url, alice, STOP, { id: messageId })).stopGeneration;
    expect(stopped.status).toBe("STOPPED");
    expect(stopped.content.length).toBeGreaterThan(0);
    expect(stopped.content.length).toBeLessThan(expected(2000).length);
    expect(expected(2000).startsWith(stopped.content)).toBe(true);

    const { events } = await reading;
    expectWellFormed(events);
    expect(events.at(-1)).toMatchObject({ __typename: "MessageDone", message: { status: "STOPPED" } });
    expect(deltas(events)).toBe(stopped.content);
    expect(events.at(-1)!.message!.content).toBe(stopped.content);

    const request = model.requests.find((r) => r.body.messages.at(-1)?.content === "tokens:2000 delay:5")!;
    await expect.poll(() => request.aborted).toBe(true);
    expect(request.finished).toBe(false);

    // Stopping a message that has ended returns it unchanged.
    const again = (await gqlOk(app.url, alice, STOP, { id: messageId })).stopGeneration;
    expect(again).toEqual(stopped);
  });

  it("a late subscriber after the log expired gets one terminal event with the whole message", async () => {
    const { id } = await conversation();
    const sent = await send(id, "tokens:8 delay:1");
    const live = await readStream(app.url, alice, sent.assistantMessage.id);
    const terminal = live.events.at(-1)!;
    // Retention is 1 s in this suite.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    const late = await readStream(app.url, alice, sent.assistantMessage.id);
    expect(late.events).toHaveLength(1);
    expect(late.events[0]).toMatchObject({
      __typename: "MessageDone",
      seq: terminal.seq,
      message: { status: "COMPLETE", content: expected(8), lastSeq: terminal.seq },
    });
    // A late subscriber while the log is retained replays it from the start instead.
    const other = await send(id, "tokens:5 delay:1");
    const first = await readStream(app.url, alice, other.assistantMessage.id);
    const replay = await readStream(app.url, alice, other.assistantMessage.id);
    expect(replay.events).toEqual(first.events);
  });

  it("a broken upstream stream ends FAILED with the text so far kept", async () => {
    const { id } = await conversation();
    const sent = await send(id, "tokens:20 delay:2 break:5");
    const { events } = await readStream(app.url, alice, sent.assistantMessage.id);
    expectWellFormed(events);
    const failed = events.at(-1)!;
    expect(failed).toMatchObject({ __typename: "MessageFailed", code: "UPSTREAM_UNAVAILABLE" });
    expect(failed.reason).toBeTruthy();
    expect(failed.message).toMatchObject({ status: "FAILED", content: expected(5) });
    expect(deltas(events)).toBe(expected(5));
  });

  it("a model stream that goes silent fails after the idle timeout, text so far kept, upstream aborted", async () => {
    const { id } = await conversation();
    const content = "tokens:20 delay:2 stall:1";
    const started = Date.now();
    const sent = await send(id, content);
    const { events } = await readStream(app.url, alice, sent.assistantMessage.id);
    expectWellFormed(events);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect(events.at(-1)).toMatchObject({
      __typename: "MessageFailed",
      code: "UPSTREAM_UNAVAILABLE",
      reason: "the model stopped sending",
      message: { status: "FAILED", content: expected(1) },
    });
    expect(deltas(events)).toBe(expected(1));
    const request = model.requests.find((r) => r.body.messages.at(-1)?.content === content)!;
    await expect.poll(() => request.aborted).toBe(true);
  });

  it("two concurrent sends: one succeeds, the other gets CONFLICT, and nothing half-written", async () => {
    // Several conversations at once, so that some pairs race past the busy check to the unique position.
    const ids = await Promise.all(Array.from({ length: 4 }, () => conversation()).map(async (c) => (await c).id));
    const results = await Promise.all(
      ids.map((conversationId) =>
        Promise.all(
          // Replies long enough to still be streaming when the other send arrives, however loaded the machine.
          ["tokens:100 delay:5 a", "tokens:100 delay:5 b"].map((content) =>
            gql(app.url, alice, SEND, { input: { conversationId, content } }),
          ),
        ),
      ),
    );
    for (const [index, pair] of results.entries()) {
      const ok = pair.filter((r) => !r.errors);
      const refused = pair.filter((r) => r.errors);
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.errors![0]!.extensions?.code).toBe("CONFLICT");
      const reply = ok[0]!.data!.sendMessage.assistantMessage as { id: string };
      await readStream(app.url, alice, reply.id);
      const messages = await stored(ids[index]!);
      expect(messages.map((m) => m.role)).toEqual(["USER", "ASSISTANT"]);
      expect(messages[1]).toMatchObject({ id: reply.id, status: "COMPLETE" });
    }
  });

  it("two sends racing past the busy check: the conversation's revision lets one through, the other gets CONFLICT", async () => {
    const { id } = await conversation();
    const service = new ConversationService(app.generation, createPubSub(undefined), "builtin-offline");
    // Two requests, two units of work, started together: both count no busy reply and pick the same position.
    const results = await Promise.allSettled(
      ["tokens:2 delay:1 a", "tokens:2 delay:1 b"].map((content) =>
        service.send(app.orm.em.fork(), alice, { conversationId: id, content }),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const error = (refused[0] as PromiseRejectedResult).reason as { code?: string; message: string };
    expect(error).toMatchObject({
      code: "CONFLICT",
      message: "a reply is already being generated in this conversation",
    });
    const reply = ok[0]!.value.assistantMessage;
    await readStream(app.url, alice, reply.id);
    const messages = await stored(id);
    expect(messages.map((m) => m.role)).toEqual(["USER", "ASSISTANT"]);
    expect(messages[0]!.content).toBe(ok[0]!.value.userMessage.content);
    expect(await app.orm.em.fork().count(Message, { conversation: id })).toBe(2);
    // The refused reply's model request had already left (it overlaps the transaction): it was aborted.
    const refusedContent = ok[0]!.value.userMessage.content.endsWith("a") ? "tokens:2 delay:1 b" : "tokens:2 delay:1 a";
    const refusedCalls = model.requests.filter((r) => r.body.messages.at(-1)?.content === refusedContent);
    await expect.poll(() => refusedCalls.every((r) => r.aborted)).toBe(true);
  });

  it("hides other users' conversations and messages (NOT_FOUND)", async () => {
    const { id } = await conversation(alice);
    const sent = await send(id, "tokens:3 delay:1");
    await readStream(app.url, alice, sent.assistantMessage.id);
    const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
    expect(code(await gql(app.url, bob, `query ($id: ID!) { conversation(id: $id) { id } }`, { id }))).toBe(
      "NOT_FOUND",
    );
    expect(code(await gql(app.url, bob, SEND, { input: { conversationId: id, content: "hi" } }))).toBe("NOT_FOUND");
    expect(
      code(await gql(app.url, bob, `mutation ($id: ID!) { renameConversation(id: $id, title: "x") { id } }`, { id })),
    ).toBe("NOT_FOUND");
    expect(code(await gql(app.url, bob, `mutation ($id: ID!) { deleteConversation(id: $id) }`, { id }))).toBe(
      "NOT_FOUND",
    );
    expect(code(await gql(app.url, bob, STOP, { id: sent.assistantMessage.id }))).toBe("NOT_FOUND");
    const stream = await readStream(app.url, bob, sent.assistantMessage.id);
    expect(stream.events).toHaveLength(0);
    expect(JSON.stringify(stream.errors)).toContain("NOT_FOUND");
    const bobs = await gqlOk(app.url, bob, `query { conversations { edges { node { id } } } }`);
    expect(bobs.conversations.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(id);
    // Anonymous callers get nothing at all.
    expect(code(await gql(app.url, { roles: [] }, `query { conversations { totalCount } }`))).toBe("UNAUTHENTICATED");
  });

  it("rejects bad input with BAD_USER_INPUT and writes nothing", async () => {
    const { id } = await conversation();
    const code = (r: { errors?: { message: string; extensions?: { code?: string } }[] }) =>
      r.errors?.[0]?.extensions?.code;
    const empty = await gql(app.url, alice, SEND, { input: { conversationId: id, content: "   " } });
    expect(code(empty)).toBe("BAD_USER_INPUT");
    expect(empty.errors![0]!.message).toContain("content: must not be empty");
    const huge = await gql(app.url, alice, SEND, { input: { conversationId: id, content: "x".repeat(100_001) } });
    expect(code(huge)).toBe("BAD_USER_INPUT");
    const params = await gql(app.url, alice, SEND, {
      input: { conversationId: id, content: "hi", params: { temperature: 7 } },
    });
    expect(code(params)).toBe("BAD_USER_INPUT");
    expect(params.errors![0]!.message).toContain("params.temperature");
    expect(code(await gql(app.url, alice, CREATE, { input: { title: "" } }))).toBe("BAD_USER_INPUT");
    expect(await stored(id)).toEqual([]);
  });

  it("deleteConversation removes the conversation and its messages", async () => {
    const { id } = await conversation();
    const sent = await send(id, "tokens:2 delay:1");
    await readStream(app.url, alice, sent.assistantMessage.id);
    expect(
      (await gqlOk(app.url, alice, `mutation ($id: ID!) { deleteConversation(id: $id) }`, { id })).deleteConversation,
    ).toBe(true);
    const after = await gql(app.url, alice, `query ($id: ID!) { conversation(id: $id) { id } }`, { id });
    expect(after.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const orphan = await readStream(app.url, alice, sent.assistantMessage.id);
    expect(JSON.stringify(orphan.errors)).toContain("NOT_FOUND");
  });

  it("reports the model API and pub/sub in /readyz", async () => {
    const res = await fetch(app.url.replace(/\/graphql$/, "/readyz"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { checks: { name: string; ok: boolean }[] };
    expect(body.checks.map((c) => c.name).sort()).toEqual(["database", "model", "pubsub", "vectors"]);
  });
});
