import { ErrorCode, type Logger } from "@ods/kit";
import type { NextFunction, Request, Response } from "express";
import { Redis } from "ioredis";
import { DefenceError } from "./errors.js";
import type { BucketPolicy } from "./settings.js";

/** What taking one token from a bucket answered. */
export interface BucketResult {
  allowed: boolean;
  limit: number;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until the bucket is full again (`RateLimit-Reset`). */
  resetSeconds: number;
  /** Seconds until one token is back, when refused (`Retry-After`). */
  retryAfterSeconds: number;
}

/**
 * A store of token buckets: `limit` tokens, refilled evenly over `windowSeconds`; each request takes one.
 *
 * @remarks A token bucket allows short bursts up to the limit and then a steady rate, without the doubled burst
 * a fixed window allows at its edges. Two implementations pass one contract test (use-rate-limit.test.ts).
 */
export interface TokenBuckets {
  take(key: string, policy: BucketPolicy): Promise<BucketResult>;
  close(): Promise<void>;
}

function result(tokens: number, policy: BucketPolicy, allowed: boolean): BucketResult {
  const perSecond = policy.limit / policy.windowSeconds;
  return {
    allowed,
    limit: policy.limit,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.ceil((policy.limit - tokens) / perSecond),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perSecond)),
  };
}

/** Buckets in this process's memory: the embedded profile, or a single gateway. */
export class MemoryTokenBuckets implements TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(key: string, policy: BucketPolicy): Promise<BucketResult> {
    const now = this.now();
    const perMs = policy.limit / (policy.windowSeconds * 1000);
    const bucket = this.buckets.get(key);
    let tokens = bucket ? Math.min(policy.limit, bucket.tokens + (now - bucket.at) * perMs) : policy.limit;
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    if (this.buckets.size > 100_000) this.sweep(now, perMs, policy.limit);
    this.buckets.set(key, { tokens, at: now });
    return result(tokens, policy, allowed);
  }

  /** Forgets buckets that have refilled completely: they are the same as no bucket at all. */
  private sweep(now: number, perMs: number, limit: number): void {
    for (const [key, b] of this.buckets) if (b.tokens + (now - b.at) * perMs >= limit) this.buckets.delete(key);
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

/**
 * Refills and takes in one atomic step on the Redis server, using the server's clock so that every gateway
 * replica agrees; the key expires once the bucket would be full again.
 */
const TAKE_SCRIPT = `
local limit = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then
  tokens = limit
else
  tokens = math.min(limit, tokens + math.max(0, now - at) * per_ms)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((limit - tokens) / per_ms) + 1000)
return { allowed, tostring(tokens) }
`;

/** Buckets in Redis, shared by every gateway replica (`ODS_REDIS_URL`). */
export class RedisTokenBuckets implements TokenBuckets {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly logger?: Logger,
    private readonly prefix = "ods:ratelimit:",
  ) {
    // A rate limiter must never be the thing that makes the API wait: short timeouts, no queueing while down.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 500, enableOfflineQueue: true });
    this.redis.on("error", (err) => this.logger?.warn({ err }, "rate-limit redis error"));
    this.redis.defineCommand("odsTakeToken", { numberOfKeys: 1, lua: TAKE_SCRIPT });
  }

  async take(key: string, policy: BucketPolicy): Promise<BucketResult> {
    const perMs = policy.limit / (policy.windowSeconds * 1000);
    try {
      const [allowed, tokens] = (await (
        this.redis as unknown as { odsTakeToken(k: string, l: number, r: number): Promise<[number, string]> }
      ).odsTakeToken(`${this.prefix}${key}`, policy.limit, perMs)) as [number, string];
      return result(Number(tokens), policy, allowed === 1);
    } catch (err) {
      // Fail open: Redis down must not take the whole API down with it; the log says limits are off.
      this.logger?.warn({ err }, "rate limit not applied: redis did not answer");
      return result(policy.limit, policy, true);
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** Redis when configured, else memory. */
export function createTokenBuckets(redisUrl: string | undefined, logger?: Logger): TokenBuckets {
  return redisUrl ? new RedisTokenBuckets(redisUrl, logger) : new MemoryTokenBuckets();
}

/** Sets the IETF draft `RateLimit-*` headers (draft-ietf-httpapi-ratelimit-headers) for one bucket's answer. */
export function setRateLimitHeaders(res: Response, r: BucketResult, policy: BucketPolicy): void {
  res.setHeader("RateLimit-Limit", String(r.limit));
  res.setHeader("RateLimit-Remaining", String(r.remaining));
  res.setHeader("RateLimit-Reset", String(r.resetSeconds));
  res.setHeader("RateLimit-Policy", `${policy.limit};w=${policy.windowSeconds}`);
}

/** The 429 answer: `Retry-After`, and a GraphQL-shaped error with `extensions.code = RATE_LIMITED`. */
export function rateLimitedError(r: BucketResult, what: string): DefenceError {
  return new DefenceError(429, ErrorCode.RATE_LIMITED, `Too many ${what}; try again in ${r.retryAfterSeconds} s`, {
    retryAfter: r.retryAfterSeconds,
  });
}

export interface RateLimitOptions {
  buckets: TokenBuckets;
  policy: BucketPolicy;
  /** The bucket a request draws from, e.g. `user:<id>`, `key:<hash>` or `ip:<address>`. */
  key: (req: Request) => Promise<string> | string;
  /** Names the requests in the error message ("requests", "sign-in attempts"). */
  what?: string;
  /** Sends the refusal; the default writes `{ errors: [...] }`. */
  refuse: (res: Response, error: DefenceError) => void;
}

/**
 * Express middleware that takes one token per request from the caller's bucket, sets the `RateLimit-*` headers,
 * and answers 429 with `Retry-After` when the bucket is empty.
 */
export function useRateLimit(options: RateLimitOptions) {
  const what = options.what ?? "requests";
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const r = await options.buckets.take(await options.key(req), options.policy);
      setRateLimitHeaders(res, r, options.policy);
      if (!r.allowed) {
        res.setHeader("Retry-After", String(r.retryAfterSeconds));
        options.refuse(res, rateLimitedError(r, what));
        return;
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * Tighter buckets for the operations an attacker would repeat: sign-in (per address, so guessing passwords
 * across many accounts is slow too) and sensitive mutations (per caller: keys, users, roles, secrets). Reads the
 * mutation names the GraphQL guard left in `res.locals.graphql`.
 */
export function useMutationRateLimits(options: {
  buckets: TokenBuckets;
  login: BucketPolicy;
  sensitive: BucketPolicy;
  callerKey: (req: Request) => Promise<string> | string;
  refuse: (res: Response, error: DefenceError) => void;
}) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const fields = (res.locals as { graphql?: { mutationFields: string[] } }).graphql?.mutationFields ?? [];
      const checks: [string, BucketPolicy, string][] = [];
      if (fields.includes("login")) checks.push([`login:${req.ip}`, options.login, "sign-in attempts"]);
      if (fields.some(isSensitiveMutation)) {
        checks.push([`sensitive:${await options.callerKey(req)}`, options.sensitive, "sensitive changes"]);
      }
      for (const [key, policy, what] of checks) {
        const r = await options.buckets.take(key, policy);
        setRateLimitHeaders(res, r, policy);
        if (!r.allowed) {
          res.setHeader("Retry-After", String(r.retryAfterSeconds));
          options.refuse(res, rateLimitedError(r, what));
          return;
        }
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * Mutations that change who may do what or store a secret: API keys, users, roles, passwords, sessions, data
 * source credentials and model endpoints (which carry API keys).
 */
export const isSensitiveMutation = (field: string) =>
  field !== "login" &&
  /(ApiKey|User|Role|Password|Session|Secret|Setup|DataSource|ModelEndpoint|Sharing|Share)/.test(field);
