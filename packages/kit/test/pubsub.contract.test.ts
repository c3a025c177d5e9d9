import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { followStream, InProcessPubSub, RedisPubSub, type LogEntry, type PubSub } from "../src/index.js";

const REDIS_URL = process.env.ODS_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

async function redisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const redisUp = await redisReachable();
if (!redisUp) console.warn(`[pubsub contract] Redis at ${REDIS_URL} is not reachable: the Redis run is skipped`);

const isTerminal = (e: unknown) => (e as { done?: boolean }).done === true;

async function collect(iterable: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const entry of iterable) out.push(entry);
  return out;
}

/** The contract every PubSub implementation passes; each test uses fresh channel and stream names. */
function contract(name: string, make: () => PubSub, skip = false) {
  describe.skipIf(skip)(`PubSub contract: ${name}`, () => {
    let pubsub: PubSub;
    beforeAll(() => {
      pubsub = make();
    });
    afterAll(async () => {
      await pubsub.close();
    });

    it("delivers published messages to every subscriber until it unsubscribes", async () => {
      const channel = `c-${randomUUID()}`;
      const a: unknown[] = [];
      const b: unknown[] = [];
      const offA = await pubsub.subscribe(channel, (m) => a.push(m));
      const offB = await pubsub.subscribe(channel, (m) => b.push(m));
      await pubsub.publish(channel, { n: 1 });
      await expect.poll(() => b.length).toBe(1);
      await offA();
      await pubsub.publish(channel, { n: 2 });
      await expect.poll(() => b.length).toBe(2);
      expect(a).toEqual([{ n: 1 }]);
      expect(b).toEqual([{ n: 1 }, { n: 2 }]);
      await offB();
    });

    it("replays a log from any sequence number", async () => {
      const stream = `s-${randomUUID()}`;
      for (let seq = 1; seq <= 5; seq++) await pubsub.append(stream, seq, { seq, text: `t${seq}` });
      expect((await pubsub.readAfter(stream, 0)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(await pubsub.readAfter(stream, 3)).toEqual([
        { seq: 4, event: { seq: 4, text: "t4" } },
        { seq: 5, event: { seq: 5, text: "t5" } },
      ]);
      expect(await pubsub.readAfter(stream, 5)).toEqual([]);
      expect(await pubsub.readAfter(`missing-${randomUUID()}`, 0)).toEqual([]);
    });

    it("follows a stream that is being written: past and live events, no gap, no repeat, stops at the end", async () => {
      const stream = `s-${randomUUID()}`;
      await pubsub.append(stream, 1, { i: 1 });
      await pubsub.append(stream, 2, { i: 2 });
      const followed = collect(followStream(pubsub, stream, { isTerminal, pollMs: 200 }));
      for (let seq = 3; seq <= 40; seq++) {
        await pubsub.append(stream, seq, seq === 40 ? { i: seq, done: true } : { i: seq });
        if (seq % 10 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      const entries = await followed;
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it("resumes after a sequence number with exactly the rest", async () => {
      const stream = `s-${randomUUID()}`;
      for (let seq = 1; seq <= 10; seq++) await pubsub.append(stream, seq, { i: seq, done: seq === 10 });
      const entries = await collect(followStream(pubsub, stream, { afterSeq: 6, isTerminal }));
      expect(entries.map((e) => e.seq)).toEqual([7, 8, 9, 10]);
    });

    it("stops following when aborted", async () => {
      const stream = `s-${randomUUID()}`;
      const abort = new AbortController();
      const followed = collect(followStream(pubsub, stream, { isTerminal, signal: abort.signal }));
      await pubsub.append(stream, 1, { i: 1 });
      setTimeout(() => abort.abort(), 50);
      expect((await followed).map((e) => e.seq)).toEqual([1]);
    });

    it("fills a gap when a notification is lost in transit", async () => {
      const stream = `s-${randomUUID()}`;
      // The same pub/sub, except that the live notification of seq 7 never arrives (as while Redis reconnects).
      const lossy: PubSub = Object.create(pubsub, {
        subscribe: {
          value: (channel: string, onMessage: (m: unknown) => void) =>
            pubsub.subscribe(channel, (m) => ((m as LogEntry).seq === 7 ? undefined : onMessage(m))),
        },
      });
      const followed = collect(followStream(lossy, stream, { isTerminal, pollMs: 5_000 }));
      await new Promise((r) => setTimeout(r, 50));
      for (let seq = 1; seq <= 12; seq++) await pubsub.append(stream, seq, { i: seq, done: seq === 12 });
      expect((await followed).map((e) => e.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    });

    it("ends with the stored outcome when the writer never appends its terminal event", async () => {
      const stream = `s-${randomUUID()}`;
      await pubsub.append(stream, 1, { i: 1 });
      await pubsub.append(stream, 2, { i: 2 });
      const entries = await collect(
        followStream(pubsub, stream, {
          isTerminal,
          pollMs: 50,
          onQuiet: async (lastSeq) => ({ seq: lastSeq + 1, event: { done: true, fromRow: true } }),
        }),
      );
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(entries.at(-1)!.event).toEqual({ done: true, fromRow: true });
    });

    it("expires a log", async () => {
      const stream = `s-${randomUUID()}`;
      await pubsub.append(stream, 1, { i: 1 });
      await pubsub.expire(stream, 1);
      await expect.poll(async () => (await pubsub.readAfter(stream, 0)).length, { timeout: 3_000 }).toBe(0);
    });

    it("answers a ping", async () => {
      await expect(pubsub.ping()).resolves.toBeUndefined();
    });
  });
}

contract("in-process", () => new InProcessPubSub());
contract("Redis", () => new RedisPubSub(REDIS_URL, { prefix: `ods-test-${randomUUID()}:` }), !redisUp);
