import { rmSync } from "node:fs";
import { notFound, type Caller } from "@ods/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AugmentInput } from "../src/services/generation-service.js";
import { gql, gqlOk, readStream, startInstance, tempDir, user, type StreamEvent } from "./harness.js";
import { startModelServer, tokenText, type ModelServer } from "./model-server.js";

const alice = user("alice");
const bob = user("bob");

const MESSAGE_FIELDS = /* GraphQL */ `
  id
  role
  status
  content
  parentId
  position
  selected
  alternativeIndex
  modelId
  createdAt
`;
const TURN = /* GraphQL */ `
  conversation { id title modelId knowledgeBaseIds }
  userMessage { ${MESSAGE_FIELDS} }
  assistantMessage { ${MESSAGE_FIELDS} }
`;
const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN} } }`;
const REGENERATE = `mutation ($id: ID!, $modelId: String) { regenerateMessage(messageId: $id, modelId: $modelId) { ${TURN} } }`;
const EDIT = `mutation ($id: ID!, $content: String!) { editMessage(messageId: $id, content: $content) { ${TURN} } }`;
const SELECT = `mutation ($id: ID!) { selectAlternative(messageId: $id) { id messages { ${MESSAGE_FIELDS} } } }`;
const MESSAGES = `query ($id: ID!) { conversation(id: $id) { messages { ${MESSAGE_FIELDS} alternatives { id content alternativeIndex selected } } } }`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateConversationInput!) {
    updateConversation(id: $id, input: $input) {
      id
      title
      modelId
      systemPrompt
      promptTemplate
      params
      temperature
      maxTokens
      knowledgeBaseIds
      retrieval
    }
  }
`;
const RATE = /* GraphQL */ `
  mutation ($id: ID!, $rating: MessageRating!, $comment: String) {
    rateMessage(messageId: $id, rating: $rating, comment: $comment) {
      id
      feedback {
        rating
        comment
        updatedAt
      }
    }
  }
`;

interface Msg {
  id: string;
  role: string;
  status: string;
  content: string;
  parentId: string | null;
  position: number;
  selected: boolean;
  alternativeIndex: number;
  modelId: string | null;
  alternatives?: { id: string; content: string; alternativeIndex: number; selected: boolean }[];
}
interface Turn {
  conversation: { id: string; title: string; modelId: string; knowledgeBaseIds: string[] };
  userMessage: Msg;
  assistantMessage: Msg;
}

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const answer = (n: number, prefix = "") => Array.from({ length: n }, (_, i) => prefix + tokenText(i)).join("");
const withoutHeartbeats = (events: StreamEvent[]) => events.filter((e) => e.__typename !== "MessageHeartbeat");

/** The fake retrieval: the hook is what is under test, so it answers from a table keyed by knowledge base. */
const augmentCalls: AugmentInput[] = [];
async function fakeAugment(input: AugmentInput) {
  augmentCalls.push(input);
  const ids = input.conversation.knowledgeBaseIds;
  if (ids.includes("kb-missing")) throw notFound("KnowledgeBase", "kb-missing");
  if (ids.includes("kb-broken")) throw new Error("the vector store is on fire");
  if (!ids.includes("kb-geo")) return null;
  return {
    context: "[1] Paris is the capital of France.",
    citations: [
      {
        marker: 1,
        knowledgeBaseId: "kb-geo",
        documentId: "doc-1",
        documentName: "capitals.md",
        chunkId: "chunk-7",
        position: 3,
        snippet: "Paris is the capital of France.",
        score: 0.92,
      },
    ],
  };
}

describe("conversation features: search, pin, settings, branches, feedback, usage, export, heartbeat, RAG hook", () => {
  let model: ModelServer;
  let app: Awaited<ReturnType<typeof startInstance>>;
  let dir: string;

  beforeAll(async () => {
    model = await startModelServer();
    dir = tempDir();
    app = await startInstance({
      dataDir: dir,
      modelUrl: model.url,
      env: { ODS_STREAM_BATCH_MS: "15", ODS_STREAM_HEARTBEAT_MS: "150" },
      tuning: { flushMs: 100, augment: fakeAugment },
    });
  });

  afterAll(async () => {
    await app?.close();
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function create(input: Record<string, unknown> = {}, caller: Caller = alice): Promise<string> {
    return (
      await gqlOk(
        app.url,
        caller,
        `mutation ($input: CreateConversationInput!) { createConversation(input: $input) { id } }`,
        { input },
      )
    ).createConversation.id;
  }

  /** Waits for the reply to end and returns its stream's events (heartbeats left out). */
  async function finish(messageId: string): Promise<StreamEvent[]> {
    const { events, errors } = await readStream(app.url, alice, messageId);
    expect(errors).toBeUndefined();
    return withoutHeartbeats(events);
  }

  async function send(conversationId: string | null, content: string, extra: Record<string, unknown> = {}) {
    const turn = (await gqlOk(app.url, alice, SEND, { input: { conversationId, content, ...extra } }))
      .sendMessage as Turn;
    await finish(turn.assistantMessage.id);
    return turn;
  }

  async function branch(conversationId: string): Promise<Msg[]> {
    return (await gqlOk(app.url, alice, MESSAGES, { id: conversationId })).conversation.messages;
  }

  /** The last request the model server saw for a user message containing `marker`. */
  const requestFor = (marker: string) =>
    model.requests.findLast((r) => r.body.messages.at(-1)?.content.includes(marker))!;

  it("searches titles and message text ignoring case, lists pinned first, filters by pinned", async () => {
    const alpha = await create({ title: "Alpha notes" });
    const beta = await create({ title: "Beta" });
    const gamma = await create({ title: "Gamma" });
    const percent = await create({ title: "Up 50% today" });
    const digits = await create({ title: "Up 500 today" });
    await create({ title: "Bob's quick brown notes" }, bob);
    await send(beta, "The Quick BROWN fox tokens:2 delay:1");
    const ids = async (args: string) =>
      (
        await gqlOk(
          app.url,
          alice,
          `query { conversations(first: 50${args}) { totalCount edges { node { id pinned } } } }`,
        )
      ).conversations.edges.map((e: { node: { id: string } }) => e.node.id) as string[];

    expect(await ids(`, search: "quick brown"`)).toEqual([beta]);
    expect(await ids(`, search: "ALPHA"`)).toEqual([alpha]);
    // The pattern characters of LIKE are literal: "50%" does not match "500".
    expect(await ids(`, search: "50%"`)).toEqual([percent]);
    expect(await ids(`, search: "0_t"`)).toEqual([]);

    const pinned = await gqlOk(app.url, alice, `mutation ($id: ID!) { pinConversation(id: $id) { id pinned } }`, {
      id: gamma,
    });
    expect(pinned.pinConversation).toEqual({ id: gamma, pinned: true });
    const all = await ids("");
    expect(all[0]).toBe(gamma);
    // Otherwise the most recently active first: beta got a message after the others were made.
    expect(all.indexOf(beta)).toBeLessThan(all.indexOf(digits));
    expect(await ids(", pinned: true")).toEqual([gamma]);
    expect(await ids(", pinned: false")).not.toContain(gamma);
    expect(await ids(`, pinned: true, search: "gam"`)).toEqual([gamma]);
    expect(await ids(`, pinned: true, search: "alpha"`)).toEqual([]);

    await gqlOk(app.url, alice, `mutation ($id: ID!) { pinConversation(id: $id, pinned: false) { id } }`, {
      id: gamma,
    });
    expect(await ids(", pinned: true")).toEqual([]);
    expect(
      code(await gql(app.url, bob, `mutation ($id: ID!) { pinConversation(id: $id) { id } }`, { id: gamma })),
    ).toBe("NOT_FOUND");
  });

  it("sendMessage without a conversationId starts a conversation titled after the message", async () => {
    const turn = await send(null, "What is the weather like in Lisbon today? tokens:2 delay:1", {
      modelId: "other-model",
      params: { temperature: 0.5 },
      knowledgeBaseIds: ["kb-none"],
    });
    expect(turn.conversation).toMatchObject({
      title: "What is the weather like in Lisbon today? tokens:2 delay:1",
      modelId: "other-model",
      knowledgeBaseIds: ["kb-none"],
    });
    expect(turn.userMessage).toMatchObject({ position: 1, parentId: null, selected: true });
    expect(turn.assistantMessage).toMatchObject({ position: 2, parentId: turn.userMessage.id, modelId: "other-model" });
    const [question, reply] = await branch(turn.conversation.id);
    expect(question!.id).toBe(turn.userMessage.id);
    expect(reply).toMatchObject({ status: "COMPLETE", content: answer(2) });
    expect(requestFor("Lisbon").body).toMatchObject({ model: "other-model", temperature: 0.5 });
    // A long first line is cut at a word.
    const long = await send(null, `${"word ".repeat(30)}\nsecond line tokens:1 delay:1`);
    expect(long.conversation.title).toMatch(/^word( word)+…$/);
    expect(long.conversation.title.length).toBeLessThanOrEqual(61);
  });

  it("updateConversation changes the settings the next reply uses; bad input writes nothing", async () => {
    const id = await create({ title: "Settings" });
    const updated = (
      await gqlOk(app.url, alice, UPDATE, {
        id,
        input: {
          modelId: "gpt-test",
          systemPrompt: "Answer in French.",
          temperature: 0.3,
          maxTokens: 50,
          knowledgeBaseIds: ["kb-a", "kb-b"],
          retrieval: { mode: "HYBRID", topK: 4 },
        },
      })
    ).updateConversation;
    expect(updated).toMatchObject({
      title: "Settings",
      modelId: "gpt-test",
      systemPrompt: "Answer in French.",
      params: { temperature: 0.3, maxTokens: 50 },
      temperature: 0.3,
      maxTokens: 50,
      knowledgeBaseIds: ["kb-a", "kb-b"],
      retrieval: { mode: "HYBRID", topK: 4 },
    });
    await send(id, "settings one tokens:1 delay:1");
    expect(requestFor("settings one").body).toMatchObject({
      model: "gpt-test",
      temperature: 0.3,
      max_tokens: 50,
      messages: [
        { role: "system", content: "Answer in French." },
        { role: "user", content: "settings one tokens:1 delay:1" },
      ],
    });
    expect(augmentCalls.at(-1)!.conversation.knowledgeBaseIds).toEqual(["kb-a", "kb-b"]);
    expect(augmentCalls.at(-1)!.conversation.retrieval).toEqual({ mode: "HYBRID", topK: 4 });

    // null: back to the default; omitted: unchanged.
    const cleared = (
      await gqlOk(app.url, alice, UPDATE, { id, input: { temperature: null, systemPrompt: null, modelId: null } })
    ).updateConversation;
    expect(cleared).toMatchObject({
      modelId: "builtin-offline",
      systemPrompt: null,
      params: { maxTokens: 50 },
      temperature: null,
      maxTokens: 50,
      knowledgeBaseIds: ["kb-a", "kb-b"],
    });
    await send(id, "settings two tokens:1 delay:1");
    const second = requestFor("settings two").body;
    expect(second.temperature).toBeUndefined();
    expect(second.messages[0]).toEqual({ role: "user", content: "settings one tokens:1 delay:1" });

    for (const [input, field] of [
      [{ temperature: 5 }, "temperature"],
      [{ maxTokens: 0 }, "maxTokens"],
      [{ knowledgeBaseIds: ["kb-a", "kb-a"] }, "knowledgeBaseIds"],
      [{ retrieval: { topK: 0 } }, "retrieval.topK"],
      [{ retrieval: { mode: "FUZZY" } }, "retrieval.mode"],
      [{ retrieval: "top 5" }, "retrieval"],
      [{ title: " " }, "title"],
      [{ promptTemplate: { name: "" } }, "promptTemplate.name"],
      [{ systemPrompt: "ok", temperature: -1 }, "temperature"],
    ] as const) {
      const result = await gql(app.url, alice, UPDATE, { id, input });
      expect(code(result)).toBe("BAD_USER_INPUT");
      expect(result.errors![0]!.message).toContain(`${field}:`);
    }
    const after = await gqlOk(
      app.url,
      alice,
      `query ($id: ID!) { conversation(id: $id) { title systemPrompt params knowledgeBaseIds retrieval } }`,
      { id },
    );
    expect(after.conversation).toEqual({
      title: "Settings",
      systemPrompt: null,
      params: { maxTokens: 50 },
      knowledgeBaseIds: ["kb-a", "kb-b"],
      retrieval: { mode: "HYBRID", topK: 4 },
    });
    expect(code(await gql(app.url, bob, UPDATE, { id, input: { title: "mine" } }))).toBe("NOT_FOUND");
  });

  it("regenerate keeps the earlier answers as alternatives, and switching changes what the next prompt sees", async () => {
    const first = await send(null, "q1 numbered tokens:2 delay:1");
    const id = first.conversation.id;
    const a1 = first.assistantMessage;
    const a1Text = (await branch(id))[1]!.content;

    const regenerated = (await gqlOk(app.url, alice, REGENERATE, { id: a1.id })).regenerateMessage as Turn;
    expect(regenerated.userMessage.id).toBe(first.userMessage.id);
    expect(regenerated.assistantMessage).toMatchObject({
      status: "STREAMING",
      parentId: first.userMessage.id,
      position: 2,
      alternativeIndex: 2,
      selected: true,
    });
    await finish(regenerated.assistantMessage.id);
    const messages = await branch(id);
    expect(messages.map((m) => m.id)).toEqual([first.userMessage.id, regenerated.assistantMessage.id]);
    const a2Text = messages[1]!.content;
    expect(a2Text).not.toBe(a1Text);
    expect(messages[1]!.alternatives).toEqual([
      { id: a1.id, content: a1Text, alternativeIndex: 1, selected: false },
      { id: regenerated.assistantMessage.id, content: a2Text, alternativeIndex: 2, selected: true },
    ]);
    // The regenerated request asked the same question with the same history.
    expect(model.requests.at(-1)!.body.messages).toEqual([{ role: "user", content: "q1 numbered tokens:2 delay:1" }]);

    // The next question sees the selected answer.
    const q2 = await send(id, "q2 after a2 tokens:1 delay:1");
    expect(requestFor("q2 after a2").body.messages.map((m) => m.content)).toEqual([
      "q1 numbered tokens:2 delay:1",
      a2Text,
      "q2 after a2 tokens:1 delay:1",
    ]);

    // Switch back to the first answer: the branch after a2 is set aside, and the next prompt sees a1.
    const switched = (await gqlOk(app.url, alice, SELECT, { id: a1.id })).selectAlternative;
    expect(switched.messages.map((m: Msg) => m.id)).toEqual([first.userMessage.id, a1.id]);
    await send(id, "q3 after a1 tokens:1 delay:1");
    expect(requestFor("q3 after a1").body.messages.map((m) => m.content)).toEqual([
      "q1 numbered tokens:2 delay:1",
      a1Text,
      "q3 after a1 tokens:1 delay:1",
    ]);

    // Back to a2: its own continuation (q2 and its reply) comes back with it, nothing lost.
    const back = (await gqlOk(app.url, alice, SELECT, { id: regenerated.assistantMessage.id })).selectAlternative;
    expect(back.messages.map((m: Msg) => m.id)).toEqual([
      first.userMessage.id,
      regenerated.assistantMessage.id,
      q2.userMessage.id,
      q2.assistantMessage.id,
    ]);
    // Regenerating a question (not a reply) adds one more reply to it; with a model of its own (a slow one, so the
    // reply is still streaming when the branch is asked to move below).
    const third = (await gqlOk(app.url, alice, REGENERATE, { id: first.userMessage.id, modelId: "m3-slow" }))
      .regenerateMessage as Turn;
    expect(third.assistantMessage).toMatchObject({
      alternativeIndex: 3,
      modelId: "m3-slow",
      parentId: first.userMessage.id,
    });
    // While it streams, the branch cannot move.
    const busy = await gql(app.url, alice, SELECT, { id: a1.id });
    expect(code(busy)).toBe("CONFLICT");
    await finish(third.assistantMessage.id);
    expect((await branch(id)).map((m) => m.id)).toEqual([first.userMessage.id, third.assistantMessage.id]);
    expect(code(await gql(app.url, bob, REGENERATE, { id: a1.id }))).toBe("NOT_FOUND");
    expect(code(await gql(app.url, bob, SELECT, { id: a1.id }))).toBe("NOT_FOUND");
  });

  it("editing a question resends from there; the old branch stays reachable and whole", async () => {
    const one = await send(null, "first question tokens:1 delay:1");
    const id = one.conversation.id;
    const two = await send(id, "second question tokens:1 delay:1");

    // Editing the second question keeps the first exchange as history.
    const edited = (
      await gqlOk(app.url, alice, EDIT, { id: two.userMessage.id, content: "second, edited tokens:2 delay:1" })
    ).editMessage as Turn;
    expect(edited.userMessage).toMatchObject({
      role: "USER",
      content: "second, edited tokens:2 delay:1",
      parentId: one.assistantMessage.id,
      position: 3,
      alternativeIndex: 2,
    });
    await finish(edited.assistantMessage.id);
    expect(requestFor("second, edited").body.messages.map((m) => m.content)).toEqual([
      "first question tokens:1 delay:1",
      answer(1),
      "second, edited tokens:2 delay:1",
    ]);
    const messages = await branch(id);
    expect(messages.map((m) => m.content)).toEqual([
      "first question tokens:1 delay:1",
      answer(1),
      "second, edited tokens:2 delay:1",
      answer(2),
    ]);
    expect(messages[2]!.alternatives!.map((m) => m.content)).toEqual([
      "second question tokens:1 delay:1",
      "second, edited tokens:2 delay:1",
    ]);

    // Editing the first question starts again from nothing before it.
    const restart = (
      await gqlOk(app.url, alice, EDIT, { id: one.userMessage.id, content: "a new start tokens:1 delay:1" })
    ).editMessage as Turn;
    await finish(restart.assistantMessage.id);
    expect(requestFor("a new start").body.messages).toEqual([
      { role: "user", content: "a new start tokens:1 delay:1" },
    ]);
    expect((await branch(id)).map((m) => m.id)).toEqual([restart.userMessage.id, restart.assistantMessage.id]);

    // The old first question brings back its whole branch, as it was last seen.
    const old = (await gqlOk(app.url, alice, SELECT, { id: one.userMessage.id })).selectAlternative;
    expect(old.messages.map((m: Msg) => m.id)).toEqual([
      one.userMessage.id,
      one.assistantMessage.id,
      edited.userMessage.id,
      edited.assistantMessage.id,
    ]);
    // And inside it, the unedited second question is one switch away.
    const original = (await gqlOk(app.url, alice, SELECT, { id: two.userMessage.id })).selectAlternative;
    expect(original.messages.map((m: Msg) => m.id)).toEqual([
      one.userMessage.id,
      one.assistantMessage.id,
      two.userMessage.id,
      two.assistantMessage.id,
    ]);
    // Nothing was deleted along the way: 2 + 2 + 2 + 2 messages.
    const usage = await gqlOk(app.url, alice, `query ($id: ID!) { conversation(id: $id) { usage { messageCount } } }`, {
      id,
    });
    expect(usage.conversation.usage.messageCount).toBe(8);

    const notMine = await gql(app.url, alice, EDIT, { id: one.assistantMessage.id, content: "x" });
    expect(code(notMine)).toBe("BAD_USER_INPUT");
    const empty = await gql(app.url, alice, EDIT, { id: one.userMessage.id, content: "  " });
    expect(code(empty)).toBe("BAD_USER_INPUT");
    expect(code(await gql(app.url, bob, EDIT, { id: one.userMessage.id, content: "x" }))).toBe("NOT_FOUND");
  });

  it("stores feedback on a reply, and takes it back with NONE", async () => {
    const turn = await send(null, "rate me tokens:1 delay:1");
    const up = (await gqlOk(app.url, alice, RATE, { id: turn.assistantMessage.id, rating: "UP", comment: " Spot on " }))
      .rateMessage;
    expect(up.feedback).toMatchObject({ rating: "UP", comment: "Spot on" });
    expect(Date.parse(up.feedback.updatedAt)).toBeGreaterThan(Date.now() - 60_000);
    const read = async () =>
      (
        await gqlOk(
          app.url,
          alice,
          `query ($id: ID!) { conversation(id: $id) { messages { feedback { rating comment } } } }`,
          {
            id: turn.conversation.id,
          },
        )
      ).conversation.messages[1].feedback;
    expect(await read()).toEqual({ rating: "UP", comment: "Spot on" });
    await gqlOk(app.url, alice, RATE, { id: turn.assistantMessage.id, rating: "DOWN" });
    expect(await read()).toEqual({ rating: "DOWN", comment: null });
    await gqlOk(app.url, alice, RATE, { id: turn.assistantMessage.id, rating: "NONE" });
    expect(await read()).toBeNull();

    expect(code(await gql(app.url, alice, RATE, { id: turn.userMessage.id, rating: "UP" }))).toBe("BAD_USER_INPUT");
    const long = await gql(app.url, alice, RATE, {
      id: turn.assistantMessage.id,
      rating: "UP",
      comment: "x".repeat(2001),
    });
    expect(code(long)).toBe("BAD_USER_INPUT");
    expect(await read()).toBeNull();
    expect(code(await gql(app.url, bob, RATE, { id: turn.assistantMessage.id, rating: "DOWN" }))).toBe("NOT_FOUND");
  });

  it("totals usage per conversation, alternatives included, in one query for a whole list", async () => {
    const turn = await send(null, "usage one tokens:3 delay:1");
    const id = turn.conversation.id;
    await send(id, "usage two tokens:5 delay:1");
    const again = (await gqlOk(app.url, alice, REGENERATE, { id: turn.assistantMessage.id })).regenerateMessage as Turn;
    await finish(again.assistantMessage.id);
    const { conversation } = await gqlOk(
      app.url,
      alice,
      `query ($id: ID!) { conversation(id: $id) { usage { promptTokens completionTokens totalTokens messageCount } } }`,
      { id },
    );
    // The test model reports 7 prompt tokens and one completion token per token sent.
    expect(conversation.usage).toEqual({ promptTokens: 21, completionTokens: 11, totalTokens: 32, messageCount: 5 });
    const list = await gqlOk(
      app.url,
      alice,
      `query { conversations(first: 100) { edges { node { id usage { totalTokens } } } } }`,
    );
    const mine = list.conversations.edges.find((e: { node: { id: string } }) => e.node.id === id);
    expect(mine.node.usage.totalTokens).toBe(32);
  });

  it("lists conversations with their messages, alternatives and usage in the same number of queries for 1 or 3", async () => {
    const carol = user("carol");
    const sendAs = async (conversationId: string | null, content: string) => {
      const turn = (await gqlOk(app.url, carol, SEND, { input: { conversationId, content } })).sendMessage as Turn;
      await readStream(app.url, carol, turn.assistantMessage.id);
      return turn;
    };
    const LIST = `{ conversations(first: 50) { edges { node { id usage { totalTokens } messages { id feedback { rating } alternatives { id } } } } } }`;
    const countQueries = async () => {
      let queries = 0;
      const before = app.orm.config.get("onQuery");
      app.orm.config.set("onQuery", (sql: string, params: unknown[]) => {
        queries++;
        return before(sql, params);
      });
      try {
        const data = await gqlOk(app.url, carol, LIST);
        return { queries, count: data.conversations.edges.length as number };
      } finally {
        app.orm.config.set("onQuery", before);
      }
    };
    const addConversation = async () => {
      const turn = await sendAs(null, "list me tokens:1 delay:1");
      await sendAs(turn.conversation.id, "and again tokens:1 delay:1");
    };
    await addConversation();
    const one = await countQueries();
    await addConversation();
    await addConversation();
    const three = await countQueries();
    expect([one.count, three.count]).toEqual([1, 3]);
    // The page and its count, then one query each for messages, their alternatives and the usage totals.
    expect(one.queries).toBeGreaterThanOrEqual(4);
    expect(one.queries).toBeLessThanOrEqual(6);
    expect(three.queries).toBe(one.queries);
  });

  it("exports a conversation as Markdown and as JSON, with models, timestamps and citations", async () => {
    const id = await create({ title: "Geography", systemPrompt: "Be exact.", knowledgeBaseIds: ["kb-geo"] });
    const turn = await send(id, "capital of France? tokens:2 delay:1");
    const exported = await gqlOk(
      app.url,
      alice,
      `query ($id: ID!) { conversation(id: $id) { md: export(format: MARKDOWN) json: export(format: JSON) } }`,
      { id },
    );
    const md = exported.conversation.md as string;
    expect(md).toContain("# Geography");
    expect(md).toContain("- Model: builtin-offline");
    expect(md).toContain("- System prompt: Be exact.");
    expect(md).toMatch(/## User \(\d{4}-\d\d-\d\dT[^)]*\)\n\ncapital of France\? tokens:2 delay:1/);
    expect(md).toMatch(new RegExp(`## Assistant \\(builtin-offline, \\d{4}-[^)]*\\)\\n\\n${answer(2).trim()}`));
    expect(md).toContain("- [1] capitals.md (chunk 3): Paris is the capital of France.");

    const json = JSON.parse(exported.conversation.json as string);
    expect(json).toMatchObject({
      id,
      title: "Geography",
      modelId: "builtin-offline",
      systemPrompt: "Be exact.",
      knowledgeBaseIds: ["kb-geo"],
      usage: { promptTokens: 7, completionTokens: 2, totalTokens: 9, messageCount: 2 },
    });
    expect(json.messages).toHaveLength(2);
    expect(json.messages[0]).toMatchObject({ id: turn.userMessage.id, role: "USER", parentId: null, selected: true });
    expect(json.messages[1]).toMatchObject({
      id: turn.assistantMessage.id,
      role: "ASSISTANT",
      status: "COMPLETE",
      content: answer(2),
      modelId: "builtin-offline",
      parentId: turn.userMessage.id,
      usage: { promptTokens: 7, completionTokens: 2, totalTokens: 9 },
      citations: [{ marker: 1, documentName: "capitals.md", chunkId: "chunk-7" }],
    });
    expect(Date.parse(json.messages[1].createdAt)).not.toBeNaN();
    expect(json.messages[1].latencyMs).toBeGreaterThanOrEqual(0);
    expect(
      code(await gql(app.url, bob, `query ($id: ID!) { conversation(id: $id) { export(format: JSON) } }`, { id })),
    ).toBe("NOT_FOUND");
  });

  it("sends heartbeats on a quiet stream: not stored, no seq of their own", async () => {
    const { id } = (await gqlOk(app.url, alice, `mutation { createConversation(input: {}) { id } }`))
      .createConversation;
    const sent = (
      await gqlOk(app.url, alice, SEND, { input: { conversationId: id, content: "slow tokens:3 delay:500" } })
    ).sendMessage as Turn;
    const { events, errors } = await readStream(app.url, alice, sent.assistantMessage.id);
    expect(errors).toBeUndefined();
    const beats = events.filter((e) => e.__typename === "MessageHeartbeat");
    // 500 ms before each of three tokens and a 150 ms heartbeat: about three in each gap.
    expect(beats.length).toBeGreaterThanOrEqual(4);
    // Each carries the seq of the event before it (0 before the first).
    for (const [i, e] of events.entries()) {
      if (e.__typename === "MessageHeartbeat") expect(e.seq).toBe(i === 0 ? 0 : events[i - 1]!.seq);
    }
    const real = withoutHeartbeats(events);
    expect(real.map((e) => e.seq)).toEqual(real.map((_, i) => i + 1));
    expect(real.at(-1)).toMatchObject({ __typename: "MessageDone", message: { content: answer(3) } });
    // The log holds only the real events: a replay gets the same ones, and the stored seq counts only them.
    const replay = await readStream(app.url, alice, sent.assistantMessage.id);
    expect(withoutHeartbeats(replay.events)).toEqual(real);
    expect(real.at(-1)!.message!.lastSeq).toBe(real.length);
  });

  it("the augment hook: a citations event before the first token, context in the prompt, citations stored", async () => {
    const id = await create({ systemPrompt: "Cite your sources.", knowledgeBaseIds: ["kb-geo"] });
    const sent = (
      await gqlOk(app.url, alice, SEND, { input: { conversationId: id, content: "Where is Paris? tokens:4 delay:2" } })
    ).sendMessage as Turn;
    const events = await finish(sent.assistantMessage.id);
    expect(events[0]).toMatchObject({
      __typename: "MessageCitations",
      seq: 1,
      citations: [
        {
          marker: 1,
          knowledgeBaseId: "kb-geo",
          documentId: "doc-1",
          documentName: "capitals.md",
          chunkId: "chunk-7",
          position: 3,
          snippet: "Paris is the capital of France.",
          score: 0.92,
        },
      ],
    });
    expect(events.slice(1, -1).every((e) => e.__typename === "MessageToken")).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.delta ?? "").join("")).toBe(answer(4));
    // The hook got the conversation, the question and the caller.
    const call = augmentCalls.findLast((c) => c.question === "Where is Paris? tokens:4 delay:2")!;
    expect(call.conversation.id).toBe(id);
    expect(call.caller.userId).toBe("alice");
    expect(call.signal.aborted).toBe(false);
    // The context follows the conversation's own system prompt.
    expect(requestFor("Where is Paris?").body.messages).toEqual([
      { role: "system", content: "Cite your sources." },
      { role: "system", content: "[1] Paris is the capital of France." },
      { role: "user", content: "Where is Paris? tokens:4 delay:2" },
    ]);
    const stored = await gqlOk(
      app.url,
      alice,
      `query ($id: ID!) { conversation(id: $id) { messages { citations { marker documentId chunkId score } } } }`,
      { id },
    );
    expect(stored.conversation.messages[0].citations).toEqual([]);
    expect(stored.conversation.messages[1].citations).toEqual([
      { marker: 1, documentId: "doc-1", chunkId: "chunk-7", score: 0.92 },
    ]);
    // A late subscriber replays the citations event from the log too.
    const replay = await finish(sent.assistantMessage.id);
    expect(replay).toEqual(events);

    // sendMessage's knowledgeBaseIds apply to that reply only: here, none of the fake's bases, so no citations.
    const plain = await send(id, "no sources please tokens:1 delay:1", { knowledgeBaseIds: ["kb-other"] });
    expect(augmentCalls.at(-1)!.conversation.knowledgeBaseIds).toEqual(["kb-other"]);
    const plainEvents = await finish(plain.assistantMessage.id);
    expect(plainEvents.map((e) => e.__typename)).not.toContain("MessageCitations");
    const after = await gqlOk(app.url, alice, `query ($id: ID!) { conversation(id: $id) { knowledgeBaseIds } }`, {
      id,
    });
    expect(after.conversation.knowledgeBaseIds).toEqual(["kb-geo"]);
  });

  it("a failing augment fails the reply with its code, without calling the model", async () => {
    const before = model.requests.length;
    const missing = await create({ knowledgeBaseIds: ["kb-missing"] });
    const sent = (
      await gqlOk(app.url, alice, SEND, { input: { conversationId: missing, content: "anything tokens:2" } })
    ).sendMessage as Turn;
    const events = await finish(sent.assistantMessage.id);
    expect(events).toEqual([
      {
        __typename: "MessageFailed",
        seq: 1,
        code: "NOT_FOUND",
        reason: "KnowledgeBase kb-missing was not found",
        message: { id: sent.assistantMessage.id, status: "FAILED", content: "", lastSeq: 1 },
      },
    ]);
    const broken = await create({ knowledgeBaseIds: ["kb-broken"] });
    const other = (
      await gqlOk(app.url, alice, SEND, { input: { conversationId: broken, content: "anything tokens:2" } })
    ).sendMessage as Turn;
    const failed = (await finish(other.assistantMessage.id)).at(-1)!;
    // An unexpected error is not shown to the user as it is.
    expect(failed).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", reason: "Retrieval from the knowledge bases failed" });
    expect(model.requests.length).toBe(before);
  });
});
