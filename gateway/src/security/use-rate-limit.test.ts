import express from "express";
import { Redis } from "ioredis";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refuse } from "./errors.js";
import {
  isSensitiveMutation,
  MemoryTokenBuckets,
  RedisTokenBuckets,
  useRateLimit,
  type TokenBuckets,
} from "./use-rate-limit.js";

const REDIS_URL = "redis://127.0.0.1:6379";

/** Whether a Redis answers on the development machine's default port. */
async function redisReachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500 });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const haveRedis = await redisReachable();
if (!haveRedis) console.warn(`[rate-limit] no Redis at ${REDIS_URL}: the Redis half of the contract test is skipped`);

/** The contract both token-bucket stores must keep. */
function contract(name: string, make: () => TokenBuckets, skip = false) {
  describe.skipIf(skip)(`${name} token buckets`, () => {
    let buckets: TokenBuckets;
    const run = `${Date.now()}-${Math.random()}`;
    beforeAll(() => {
      buckets = make();
    });
    afterAll(async () => {
      await buckets?.close();
    });

    it("allows exactly `limit` requests, then refuses with a retry time", async () => {
      const policy = { limit: 5, windowSeconds: 60 };
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(await buckets.take(`${run}:a`, policy));
      expect(answers.map((a) => a.allowed)).toEqual([true, true, true, true, true, false]);
      expect(answers.map((a) => a.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
      expect(answers[5]!.retryAfterSeconds).toBeGreaterThanOrEqual(11);
      expect(answers[5]!.retryAfterSeconds).toBeLessThanOrEqual(12);
      expect(answers[4]!.resetSeconds).toBeGreaterThan(55);
    });

    it("keeps keys apart", async () => {
      const policy = { limit: 1, windowSeconds: 60 };
      expect((await buckets.take(`${run}:b`, policy)).allowed).toBe(true);
      expect((await buckets.take(`${run}:b`, policy)).allowed).toBe(false);
      expect((await buckets.take(`${run}:c`, policy)).allowed).toBe(true);
    });

    it("refills over the window", async () => {
      const policy = { limit: 4, windowSeconds: 1 };
      for (let i = 0; i < 4; i++) await buckets.take(`${run}:d`, policy);
      expect((await buckets.take(`${run}:d`, policy)).allowed).toBe(false);
      await new Promise((r) => setTimeout(r, 300));
      expect((await buckets.take(`${run}:d`, policy)).allowed).toBe(true);
      expect((await buckets.take(`${run}:d`, policy)).allowed).toBe(false);
    });

    it("counts concurrent requests exactly", async () => {
      const policy = { limit: 20, windowSeconds: 3600 };
      const answers = await Promise.all(Array.from({ length: 30 }, () => buckets.take(`${run}:e`, policy)));
      expect(answers.filter((a) => a.allowed)).toHaveLength(20);
    });
  });
}

contract("memory", () => new MemoryTokenBuckets());
contract("redis", () => new RedisTokenBuckets(REDIS_URL), !haveRedis);

describe("the rate-limit middleware", () => {
  it("sets RateLimit headers and answers 429 with Retry-After and RATE_LIMITED", async () => {
    const app = express();
    app.use(
      useRateLimit({
        buckets: new MemoryTokenBuckets(),
        policy: { limit: 3, windowSeconds: 60 },
        key: (req) => `ip:${req.ip}`,
        refuse,
      }),
    );
    app.get("/", (_req, res) => {
      res.json({ ok: true });
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const statuses = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await fetch(url);
        statuses.push(last.status);
        if (i === 0) {
          expect(last.headers.get("ratelimit-limit")).toBe("3");
          expect(last.headers.get("ratelimit-remaining")).toBe("2");
          expect(last.headers.get("ratelimit-policy")).toBe("3;w=60");
        }
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(last!.headers.get("retry-after")).toBe("20");
      const body = (await last!.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe("RATE_LIMITED");
    } finally {
      server.close();
    }
  });

  it("knows which mutations are sensitive", () => {
    for (const name of ["createApiKey", "revokeApiKey", "createUser", "completeSetup", "registerDataSource"]) {
      expect(isSensitiveMutation(name), name).toBe(true);
    }
    for (const name of ["login", "sendMessage", "createConversation", "runWorkflow"]) {
      expect(isSensitiveMutation(name), name).toBe(false);
    }
  });
});
