import { rmSync } from "node:fs";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationSubgraph } from "../src/app.js";
import { gqlOk, readStream, startInstance, tempDir, user, type StreamEvent } from "./harness.js";
import { startModelServer, tokenText, type ModelServer } from "./model-server.js";

const REDIS_URL = "redis://127.0.0.1:6379";

async function redisUnavailable(): Promise<string | false> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000 });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
    return false;
  } catch (err) {
    return `Redis is not reachable at ${REDIS_URL} (${(err as Error).message})`;
  } finally {
    probe.disconnect();
  }
}

const skip = await redisUnavailable();
if (skip) console.warn(`skipping the Redis replica tests: ${skip}`);

const alice = user("alice");
const expected = (n: number) => Array.from({ length: n }, (_, i) => tokenText(i)).join("");
const deltas = (events: StreamEvent[]) => events.map((e) => e.delta ?? "").join("");

describe.skipIf(skip)("two replicas sharing Redis and one database", () => {
  let model: ModelServer;
  let a: ConversationSubgraph;
  let b: ConversationSubgraph;
  let dir: string;

  beforeAll(async () => {
    model = await startModelServer();
    dir = tempDir();
    a = await startInstance({ dataDir: dir, modelUrl: model.url, redisUrl: REDIS_URL });
    b = await startInstance({ dataDir: dir, modelUrl: model.url, redisUrl: REDIS_URL });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function sendOn(app: ConversationSubgraph, content: string) {
    const { createConversation } = await gqlOk(a.url, alice, `mutation { createConversation(input: {}) { id } }`);
    const data = await gqlOk(
      app.url,
      alice,
      `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { assistantMessage { id } } }`,
      { input: { conversationId: createConversation.id, content } },
    );
    return data.sendMessage.assistantMessage.id as string;
  }

  it("streams a reply generated on one replica to a subscriber on the other", async () => {
    const messageId = await sendOn(b, "tokens:40 delay:3");
    expect(b.generation.isRunning(messageId)).toBe(true);
    expect(a.generation.isRunning(messageId)).toBe(false);
    const { events, errors } = await readStream(a.url, alice, messageId);
    expect(errors).toBeUndefined();
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ __typename: "MessageDone", message: { status: "COMPLETE" } });
    expect(deltas(events)).toBe(expected(40));
    expect(events.at(-1)!.message!.content).toBe(expected(40));
  });

  it("stops from one replica a reply generated on the other", async () => {
    const messageId = await sendOn(b, "tokens:2000 delay:5");
    let resolveSome: () => void;
    const some = new Promise<void>((resolve) => (resolveSome = resolve));
    const reading = readStream(a.url, alice, messageId, { onEvent: (e) => e.seq >= 3 && resolveSome() });
    await some;
    const { stopGeneration } = await gqlOk(
      a.url,
      alice,
      `mutation ($id: ID!) { stopGeneration(messageId: $id) { status content } }`,
      { id: messageId },
    );
    expect(stopGeneration.status).toBe("STOPPED");
    expect(stopGeneration.content.length).toBeGreaterThan(0);
    expect(expected(2000).startsWith(stopGeneration.content)).toBe(true);
    const { events } = await reading;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ __typename: "MessageDone", message: { status: "STOPPED" } });
    expect(deltas(events)).toBe(stopGeneration.content);
    const request = model.requests.find((r) => r.body.messages.at(-1)?.content === "tokens:2000 delay:5")!;
    await expect.poll(() => request.aborted).toBe(true);
    expect(b.generation.isRunning(messageId)).toBe(false);
  });
});
