import { rmSync } from "node:fs";
import { openDatabase } from "@ods/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationSubgraph } from "../src/app.js";
import { Conversation, Message, MessageRole, MessageStatus } from "../src/entities/index.js";
import { migrations } from "../src/migrations/index.js";
import { entities } from "../src/schema.js";
import { gqlOk, readStream, startInstance, tempDir, user } from "./harness.js";
import { startModelServer, type ModelServer } from "./model-server.js";

describe("restart after a crash", () => {
  let model: ModelServer;
  let app: ConversationSubgraph;
  let dir: string;
  let messageId: string;
  let conversationId: string;

  beforeAll(async () => {
    model = await startModelServer();
    dir = tempDir();
    // What a process that died mid-reply leaves behind: a STREAMING row with the text saved so far.
    const orm = await openDatabase({ name: "conversation", dataDir: dir, entities, migrations });
    const em = orm.em.fork();
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
      lastSeq: 4,
    });
    await em.flush();
    messageId = reply.id;
    conversationId = conversation.id;
    await orm.close();
    app = await startInstance({ dataDir: dir, modelUrl: model.url });
  });

  afterAll(async () => {
    await app?.close();
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("marks replies left STREAMING as FAILED, keeping their text, and ends their stream", async () => {
    const data = await gqlOk(
      app.url,
      user("alice"),
      `query ($id: ID!) { conversation(id: $id) { messages { id status content errorCode errorReason lastSeq } } }`,
      { id: conversationId },
    );
    const reply = data.conversation.messages[1];
    expect(reply).toMatchObject({
      id: messageId,
      status: "FAILED",
      content: "partial ",
      errorReason: "interrupted by a restart",
      lastSeq: 5,
    });
    const { events } = await readStream(app.url, user("alice"), messageId, { afterSeq: 2 });
    expect(events).toEqual([
      {
        __typename: "MessageFailed",
        seq: 5,
        code: "INTERRUPTED",
        reason: "interrupted by a restart",
        message: { id: messageId, status: "FAILED", content: "partial ", lastSeq: 5 },
      },
    ]);
    // A new message in the same conversation works as usual after the recovery.
    const sent = await gqlOk(
      app.url,
      user("alice"),
      `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { assistantMessage { id } } }`,
      { input: { conversationId, content: "tokens:3 delay:1" } },
    );
    const next = await readStream(app.url, user("alice"), sent.sendMessage.assistantMessage.id);
    expect(next.events.at(-1)).toMatchObject({ __typename: "MessageDone", message: { status: "COMPLETE" } });
    // The failed exchange is not sent as history.
    expect(model.requests.at(-1)!.body.messages).toEqual([{ role: "user", content: "tokens:3 delay:1" }]);
  });
});
