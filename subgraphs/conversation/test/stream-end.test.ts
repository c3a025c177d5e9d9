import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Conversation, Message, MessageRole, MessageStatus } from "../src/entities/index.js";
import { gqlOk, readStream, startInstance, tempDir, user, type StreamEvent } from "./harness.js";
import { startModelServer, type ModelServer } from "./model-server.js";

const alice = user("alice");

/**
 * Streams whose terminal event never reaches the log: the row is the truth, and followers end from it once the
 * log goes quiet. Another replica (or a lost append) is played by writing the shared database directly.
 */
describe("a stream whose log never ends", () => {
  let model: ModelServer;
  let app: Awaited<ReturnType<typeof startInstance>>;
  let dir: string;

  beforeAll(async () => {
    model = await startModelServer();
    dir = tempDir();
    app = await startInstance({ dataDir: dir, modelUrl: model.url, tuning: { flushMs: 50 } });
  });

  afterAll(async () => {
    await app?.close();
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends with the stored row once that row has ended without a terminal event in the log", async () => {
    // A reply whose writer died after its last append failed: STREAMING, and nothing in the log.
    const em = app.orm.em.fork();
    const conversation = em.create(Conversation, { title: "c", ownerId: "alice", modelId: "builtin-offline" });
    const question = em.create(Message, {
      conversation,
      position: 1,
      role: MessageRole.USER,
      content: "hi",
      status: MessageStatus.COMPLETE,
    });
    const reply = em.create(Message, {
      conversation,
      position: 2,
      parentId: question.id,
      role: MessageRole.ASSISTANT,
      content: "partial ",
      status: MessageStatus.STREAMING,
    });
    await em.flush();

    const seen: StreamEvent[] = [];
    const reading = readStream(app.url, alice, reply.id, { onEvent: (e) => seen.push(e) });
    // Longer than a poll: the follower finds the row still STREAMING and keeps waiting.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(seen).toEqual([]);
    // A sweep ends the row, but its append is lost.
    await app.orm.em
      .fork()
      .nativeUpdate(
        Message,
        { id: reply.id },
        { status: MessageStatus.FAILED, errorCode: "INTERRUPTED", errorReason: "interrupted by a restart", lastSeq: 1 },
      );
    const { events, errors } = await reading;
    expect(errors).toBeUndefined();
    expect(events).toEqual([
      {
        __typename: "MessageFailed",
        seq: 1,
        code: "INTERRUPTED",
        reason: "interrupted by a restart",
        message: { id: reply.id, status: "FAILED", content: "partial ", lastSeq: 1 },
      },
    ]);
  });

  it("a reply another replica already failed is not overwritten at its end, and its followers still end", async () => {
    const { id } = (await gqlOk(app.url, alice, `mutation { createConversation(input: {}) { id } }`))
      .createConversation as { id: string };
    const sent = await gqlOk(
      app.url,
      alice,
      `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { assistantMessage { id } } }`,
      { input: { conversationId: id, content: "tokens:80 delay:5" } },
    );
    const messageId = sent.sendMessage.assistantMessage.id as string;
    let resolveSome: () => void;
    const some = new Promise<void>((resolve) => (resolveSome = resolve));
    const reading = readStream(app.url, alice, messageId, { onEvent: (e) => e.seq >= 2 && resolveSome() });
    await some;
    // Another replica's sweep took this reply for dead and failed it (its terminal event lost on the way).
    const swept = { status: MessageStatus.FAILED, errorCode: "INTERRUPTED", errorReason: "interrupted by a restart" };
    await app.orm.em.fork().nativeUpdate(Message, { id: messageId }, { ...swept, content: "swept", lastSeq: 2 });

    await expect.poll(() => app.generation.isRunning(messageId), { timeout: 5_000 }).toBe(false);
    const row = await app.orm.em.fork().findOneOrFail(Message, { id: messageId });
    expect(row).toMatchObject({ ...swept, content: "swept", lastSeq: 2 });

    // The generation appended no terminal event of its own: the follower ends from the row, after every token.
    const { events, errors } = await reading;
    expect(errors).toBeUndefined();
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.slice(0, -1).every((e) => e.__typename === "MessageToken")).toBe(true);
    expect(events.at(-1)).toMatchObject({
      __typename: "MessageFailed",
      code: "INTERRUPTED",
      message: { status: "FAILED", content: "swept" },
    });
  });
});
