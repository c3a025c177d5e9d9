// The conversation features whose SQL differs by dialect (the search's LIKE with an escape character, branch
// changes under row locks, JSON columns), on PostgreSQL and MariaDB; the other suites run on SQLite. Each run is
// skipped, with the reason printed, where that server is not reachable on 127.0.0.1.
// An odd time zone for this process, so that a time written or read as local time would be hours off.
process.env.TZ = "Pacific/Chatham";
import { rmSync } from "node:fs";
import { createPubSub } from "@ods/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase, type TestDatabase } from "../../../test/support/database.js";
import { ConversationService } from "../src/services/conversation-service.js";
import { gql, gqlOk, readStream, startInstance, tempDir, user } from "./harness.js";
import { startModelServer, type ModelServer } from "./model-server.js";

const alice = user("alice");

const TURN = `conversation { id } userMessage { id } assistantMessage { id }`;
const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN} } }`;
const BRANCH = `query ($id: ID!) { conversation(id: $id) { messages { id content alternatives { id } } } }`;

interface Turn {
  conversation: { id: string };
  userMessage: { id: string };
  assistantMessage: { id: string };
}

describe.each(["postgresql", "mariadb"] as const)("conversations on %s", (dialect) => {
  let db: TestDatabase | null = null;
  let model: ModelServer;
  let app: Awaited<ReturnType<typeof startInstance>>;
  let dir: string;

  beforeAll(async () => {
    db = await testDatabase(dialect).catch(() => null);
    if (!db) return;
    model = await startModelServer();
    dir = tempDir();
    app = await startInstance({
      dataDir: dir,
      modelUrl: model.url,
      databaseUrl: db.databaseUrl,
      env: { ODS_STREAM_BATCH_MS: "15" },
    });
  });

  afterAll(async () => {
    await app?.close();
    await model?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const skipped = (ctx: { skip: () => void }) => {
    if (db) return false;
    console.warn(`[conversation] ${dialect} is not reachable on 127.0.0.1: skipped`);
    ctx.skip();
    return true;
  };

  async function send(conversationId: string | null, content: string): Promise<Turn> {
    const turn = (await gqlOk(app.url, alice, SEND, { input: { conversationId, content } })).sendMessage as Turn;
    await readStream(app.url, alice, turn.assistantMessage.id);
    return turn;
  }
  const branch = async (id: string) =>
    (await gqlOk(app.url, alice, BRANCH, { id })).conversation.messages as {
      id: string;
      content: string;
      alternatives: { id: string }[];
    }[];
  const ids = async (args: string) =>
    (
      await gqlOk(app.url, alice, `query { conversations(first: 50${args}) { edges { node { id } } } }`)
    ).conversations.edges.map((e: { node: { id: string } }) => e.node.id) as string[];

  it("searches message text and titles, pins, branches, rates, totals and exports", async (ctx) => {
    if (skipped(ctx)) return;
    const first = await send(null, "The Quick BROWN fox, 50% off numbered tokens:2 delay:1");
    const id = first.conversation.id;
    const other = (
      await gqlOk(app.url, alice, `mutation { createConversation(input: { title: "500_reasons" }) { id } }`)
    ).createConversation.id as string;
    expect(await ids(`, search: "quick brown"`)).toEqual([id]);
    expect(await ids(`, search: "50%"`)).toEqual([id]);
    expect(await ids(`, search: "0_r"`)).toEqual([other]);
    expect(await ids(`, search: "0%_"`)).toEqual([]);
    await gqlOk(app.url, alice, `mutation ($id: ID!) { pinConversation(id: $id) { id } }`, { id: other });
    expect((await ids(""))[0]).toBe(other);
    expect(await ids(", pinned: true")).toEqual([other]);

    const again = (
      await gqlOk(app.url, alice, `mutation ($id: ID!) { regenerateMessage(messageId: $id) { ${TURN} } }`, {
        id: first.assistantMessage.id,
      })
    ).regenerateMessage as Turn;
    await readStream(app.url, alice, again.assistantMessage.id);
    const [, a2] = await branch(id);
    expect(a2!.id).toBe(again.assistantMessage.id);
    expect(a2!.alternatives.map((m) => m.id)).toEqual([first.assistantMessage.id, again.assistantMessage.id]);
    const select = (messageId: string) =>
      gqlOk(app.url, alice, `mutation ($id: ID!) { selectAlternative(messageId: $id) { messages { id } } }`, {
        id: messageId,
      });
    await select(first.assistantMessage.id);
    const a1Text = (await branch(id))[1]!.content;
    const q2 = await send(id, "q2 tokens:1 delay:1");
    expect(model.requests.at(-1)!.body.messages.map((m) => m.content)).toEqual([
      "The Quick BROWN fox, 50% off numbered tokens:2 delay:1",
      a1Text,
      "q2 tokens:1 delay:1",
    ]);
    await select(again.assistantMessage.id);
    const edited = (
      await gqlOk(
        app.url,
        alice,
        `mutation ($id: ID!) { editMessage(messageId: $id, content: "new start tokens:1") { ${TURN} } }`,
        {
          id: first.userMessage.id,
        },
      )
    ).editMessage as Turn;
    await readStream(app.url, alice, edited.assistantMessage.id);
    expect((await branch(id)).map((m) => m.id)).toEqual([edited.userMessage.id, edited.assistantMessage.id]);
    // Back on the first question, below it the reply last selected (a2), then a1 with its continuation.
    const back = (await select(first.userMessage.id)).selectAlternative.messages.map((m: { id: string }) => m.id);
    expect(back).toEqual([first.userMessage.id, again.assistantMessage.id]);
    const whole = (await select(first.assistantMessage.id)).selectAlternative.messages.map((m: { id: string }) => m.id);
    expect(whole).toEqual([first.userMessage.id, first.assistantMessage.id, q2.userMessage.id, q2.assistantMessage.id]);

    const rated = await gqlOk(
      app.url,
      alice,
      `mutation ($id: ID!) { rateMessage(messageId: $id, rating: DOWN, comment: "too short") { feedback { rating comment } } }`,
      { id: q2.assistantMessage.id },
    );
    expect(rated.rateMessage.feedback).toEqual({ rating: "DOWN", comment: "too short" });
    const { conversation } = await gqlOk(
      app.url,
      alice,
      `query ($id: ID!) { conversation(id: $id) { usage { promptTokens completionTokens totalTokens messageCount } json: export(format: JSON) } }`,
      { id },
    );
    expect(conversation.usage).toEqual({ promptTokens: 28, completionTokens: 6, totalTokens: 34, messageCount: 7 });
    const exported = JSON.parse(conversation.json as string);
    expect(exported.messages).toHaveLength(7);
    // Times written with bound values (a turn's rows, a reply's final update) read back as the same instants.
    const times = [exported.createdAt, exported.updatedAt].concat(
      ...exported.messages.map((m: { createdAt: string; updatedAt: string }) => [m.createdAt, m.updatedAt]),
    );
    for (const at of times) expect(Math.abs(Date.parse(at) - Date.now())).toBeLessThan(60_000);
    expect(exported.messages.find((m: { id: string }) => m.id === q2.assistantMessage.id)).toMatchObject({
      feedback: { rating: "DOWN", comment: "too short" },
      usage: { promptTokens: 7, completionTokens: 1, totalTokens: 8 },
      citations: [],
    });
  });

  it("two changes racing on one conversation: one goes through, the other gets CONFLICT and writes nothing", async (ctx) => {
    if (skipped(ctx)) return;
    const { id } = (await gqlOk(app.url, alice, `mutation { createConversation(input: {}) { id } }`))
      .createConversation;
    const service = new ConversationService(app.generation, createPubSub(undefined), "builtin-offline");
    // Two units of work started together: both find no reply streaming and read the same revision.
    const results = await Promise.allSettled(
      ["tokens:2 delay:1 a", "tokens:2 delay:1 b"].map((content) =>
        service.send(app.orm.em.fork(), alice, { conversationId: id, content }),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: "CONFLICT" });
    await readStream(app.url, alice, ok[0]!.value.assistantMessage.id);
    expect((await branch(id)).map((m) => m.id)).toEqual([
      ok[0]!.value.userMessage.id,
      ok[0]!.value.assistantMessage.id,
    ]);
    const result = await gql(app.url, alice, `query ($id: ID!) { conversation(id: $id) { usage { messageCount } } }`, {
      id,
    });
    expect(result.data!.conversation.usage.messageCount).toBe(2);
  });
});
