import { createLogger, type Caller } from "@ods/kit";
import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../src/entities/index.js";
import { ApiError } from "../src/services/api-error.js";
import { LimitService, MemoryLimiter, RedisLimiter, type Limiter } from "../src/services/limits/index.js";
import { bootModel } from "./usage-harness.js";

const REDIS_URL = "redis://127.0.0.1:6379";
const alice: Caller = { userId: "00000000-0000-4000-8000-0000000a11ce", roles: ["editor"], apiKeyId: "key-a" };
const logger = createLogger("limits-test", "silent");
const question = [{ role: "user" as const, content: "hi" }];

async function redisUnreachable(): Promise<string | null> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000 });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (err) {
    return `Redis is not reachable at ${REDIS_URL} (${(err as Error).message})`;
  } finally {
    probe.disconnect();
  }
}

describe("limits through /v1", () => {
  let env: Awaited<ReturnType<typeof bootModel>>;
  beforeAll(async () => {
    env = await bootModel({ ODS_USAGE_FLUSH_MS: 50 });
  });
  afterAll(async () => {
    await env?.close();
  });

  const requests = async (name: string) => {
    const rows = (
      await env.gql(`{ usageReport(groupBy: [MODEL]) { modelName requests promptTokens completionTokens } }`, {}, alice)
    ).data!.usageReport as { modelName: string; requests: number; promptTokens: number; completionTokens: number }[];
    return rows.find((r) => r.modelName === name);
  };

  it("answers 429 rate_limit_exceeded with Retry-After past a model's requests per minute, charging nothing", async () => {
    await env.register(alice, { name: "rpm-chat", upstreamModel: "tiny-chat", limits: { requestsPerMinute: 2 } });
    const openai = await env.client(alice);
    const upstreamCalls = () => env.upstream.log.requests.filter((r) => r.body.model === "tiny-chat").length;
    const before = upstreamCalls();
    await openai.chat.completions.create({ model: "rpm-chat", messages: question });
    await openai.chat.completions.create({ model: "rpm-chat", messages: question, stream: true });
    const refused = await openai.chat.completions.create({ model: "rpm-chat", messages: question }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "requests" });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(20);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(upstreamCalls() - before).toBe(2);
    expect(await requests("rpm-chat")).toMatchObject({ requests: 2 });
  });

  it("reserves tokens at the start, settles them at the end and never charges a refused request", async () => {
    // Each call reserves 1 prompt token + max_tokens 20 = 21 and is settled to the upstream's 5 + 4 = 9.
    const id = await env.register(alice, {
      name: "quota-chat",
      upstreamModel: "tiny-chat",
      limits: { tokensPerDay: 30 },
    });
    const openai = await env.client(alice);
    const call = (max: number) =>
      openai.chat.completions.create({ model: "quota-chat", messages: question, max_tokens: max });
    await call(20); // 30 - 21 + 12 refunded = 21 left
    await call(20); // 21 left - 21 + 12 = 12 left
    const refused = await call(20).catch((e) => e);
    expect(refused).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "tokens" });
    expect(refused.message).toContain("30 tokens per day");
    // Had the refused call been charged, 12 - 21 would leave nothing for this one (1 + 5 = 6).
    await call(5);
    expect(await requests("quota-chat")).toMatchObject({ requests: 3, promptTokens: 15, completionTokens: 12 });
    const limits = await env.gql(
      `query($id: ID!) { model(id: $id) { limits { requestsPerMinute tokensPerDay } } }`,
      { id },
      alice,
    );
    expect(limits.data!.model.limits).toEqual({ requestsPerMinute: null, tokensPerDay: 30 });
  });

  it("validates and changes a model's limits", async () => {
    const id = await env.register(alice, { name: "limited-later", upstreamModel: "tiny-chat" });
    const UPDATE = `mutation($id: ID!, $input: UpdateModelInput!) { updateModel(id: $id, input: $input) { limits { requestsPerMinute tokensPerDay } pricePer1kPrompt } }`;
    const bad = await env.gql(UPDATE, { id, input: { limits: { requestsPerMinute: 0 }, pricePer1kPrompt: -1 } }, alice);
    expect(bad.errors?.[0]?.extensions.code).toBe("BAD_USER_INPUT");
    expect(bad.errors?.[0]?.message).toMatch(/limits\.requestsPerMinute: must be at least 1/);
    const set = await env.gql(
      UPDATE,
      { id, input: { limits: { requestsPerMinute: 5 }, pricePer1kPrompt: 0.5 } },
      alice,
    );
    expect(set.data!.updateModel).toEqual({
      limits: { requestsPerMinute: 5, tokensPerDay: null },
      pricePer1kPrompt: 0.5,
    });
    const cleared = await env.gql(UPDATE, { id, input: { limits: null } }, alice);
    expect(cleared.data!.updateModel.limits).toEqual({ requestsPerMinute: null, tokensPerDay: null });
  });
});

/** The same behaviour whichever limiter holds the buckets. */
function limitContract(name: string, make: () => Limiter | Promise<Limiter>, skip: () => string | null) {
  describe(`LimitService on ${name}`, () => {
    let limiter: Limiter;
    beforeAll(async () => {
      if (!skip()) limiter = await make();
    });
    afterAll(async () => {
      await limiter?.close();
    });
    const model = () => ({ id: randomUUID(), limitRequestsPerMinute: null, limitTokensPerDay: null }) as Model;

    it("applies the user and API key defaults, atomically, and settles a reservation once", async (ctx) => {
      const reason = skip();
      if (reason) {
        console.log(`skipped: ${reason}`);
        ctx.skip();
      }
      const limits = new LimitService(limiter, { userRequestsPerMinute: 3, userTokensPerDay: 100 }, logger);
      const user = randomUUID();
      const m = model();
      const viaKey: Caller = { userId: user, roles: ["viewer"], apiKeyId: randomUUID() };
      const session: Caller = { userId: user, roles: ["viewer"] };
      const first = await limits.reserve(viaKey, m, 60);
      // The user's quota has 40 left: 50 more is refused, and neither the user nor the key is charged for it.
      const refused = await limits.reserve(session, m, 50).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ApiError);
      expect(refused).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "tokens" });
      expect(Number((refused as ApiError).headers["retry-after"])).toBeGreaterThan(0);
      await first.settle(10);
      await first.settle(10); // settled once only: still 90 left, not 140 (capped) nor 40
      const second = await limits.reserve(session, m, 90);
      await second.settle(90);
      // Requests: 3 per minute per user; the refused one was not counted, so one is left.
      const third = await limits.reserve(session, m, 0);
      await third.settle(0);
      expect(await limits.reserve(session, m, 0).catch((e: unknown) => e)).toMatchObject({
        status: 429,
        type: "requests",
      });
      // A service calling on its own behalf has no user limits.
      await (await limits.reserve({ roles: [], service: "workflow" }, m, 1_000)).settle(1_000);
    });
  });
}

limitContract(
  "memory",
  () => new MemoryLimiter(),
  () => null,
);
let redisReason: string | null = "not probed";
beforeAll(async () => {
  redisReason = await redisUnreachable();
});
limitContract(
  "Redis",
  () => new RedisLimiter(REDIS_URL, `ods:limit-test:${randomUUID()}:`),
  () => redisReason,
);
