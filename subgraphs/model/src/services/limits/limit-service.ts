import type { Caller, Logger } from "@ods/kit";
import { z } from "zod";
import type { Model } from "../../entities/index.js";
import { ApiError } from "../api-error.js";
import type { Bucket, Limiter } from "./limiter.js";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Defaults for every user and every API key; unset is unlimited. */
export interface LimitDefaults {
  userRequestsPerMinute?: number;
  userTokensPerDay?: number;
}

/** The `limits` of `registerModel`/`updateModel`: given as a whole, an unset value is unlimited. */
export const modelLimitsInput = z.object({
  requestsPerMinute: z.number().int().min(1, "must be at least 1").max(10_000_000).nullish(),
  tokensPerDay: z.number().int().min(1, "must be at least 1").max(1_000_000_000_000).nullish(),
});

/** The price and limit fields of the model inputs (validated with the rest of the input). */
export const modelUsageFields = {
  pricePer1kPrompt: z.number().min(0, "must not be negative").max(1_000_000).nullish(),
  pricePer1kCompletion: z.number().min(0, "must not be negative").max(1_000_000).nullish(),
  limits: modelLimitsInput.nullish(),
};

/**
 * The model columns that `modelUsageFields` set: prices as given, `limits` replacing both limit columns (`null`
 * removes them). Fields left out (`undefined`) are not in the result, so an update leaves them as they are.
 */
export function modelUsageColumns(data: {
  pricePer1kPrompt?: number | null;
  pricePer1kCompletion?: number | null;
  limits?: z.infer<typeof modelLimitsInput> | null;
}): Partial<Pick<Model, "pricePer1kPrompt" | "pricePer1kCompletion" | "limitRequestsPerMinute" | "limitTokensPerDay">> {
  const columns: ReturnType<typeof modelUsageColumns> = {};
  if (data.pricePer1kPrompt !== undefined) columns.pricePer1kPrompt = data.pricePer1kPrompt;
  if (data.pricePer1kCompletion !== undefined) columns.pricePer1kCompletion = data.pricePer1kCompletion;
  if (data.limits !== undefined) {
    columns.limitRequestsPerMinute = data.limits?.requestsPerMinute ?? null;
    columns.limitTokensPerDay = data.limits?.tokensPerDay ?? null;
  }
  return columns;
}

/**
 * A request's hold on the limits: one request taken from each requests-per-minute bucket and `reserved` tokens
 * from each tokens-per-day bucket. {@link settle} corrects the tokens to what the call really used, once.
 */
export interface Reservation {
  readonly reserved: number;
  settle(usedTokens: number): Promise<void>;
}

const NO_RESERVATION: Reservation = { reserved: 0, settle: async () => {} };

/**
 * Rate limits and token quotas per model (its `limits`), per user and per API key (the configured defaults).
 *
 * @remarks The token quota is reserved before the call (max_tokens or an estimate) and settled afterwards, so
 * concurrent requests cannot all slip under a nearly spent quota, a refused request costs nothing, and each
 * request is charged exactly once. If the limiter itself fails (Redis away), calls go on: limits protect the
 * platform, they must not take it down; the failure is logged.
 */
export class LimitService {
  constructor(
    private readonly limiter: Limiter,
    private readonly defaults: LimitDefaults,
    private readonly logger: Logger,
  ) {}

  /**
   * Takes one request and `tokens` tokens from every bucket that applies to `caller` calling `model`, or throws
   * a 429 `rate_limit_exceeded` with `Retry-After` (taking nothing) when one of them is spent.
   */
  async reserve(caller: Caller, model: Model, tokens: number): Promise<Reservation> {
    const { requests, quotas } = this.buckets(caller, model);
    if (requests.length === 0 && quotas.length === 0) return NO_RESERVATION;
    // A reservation above a quota's whole capacity could never pass: hold what the bucket can give, settle the rest.
    const items = [
      ...requests.map((b) => ({ ...b, amount: 1 })),
      ...quotas.map((b) => ({ ...b, amount: Math.min(tokens, b.capacity) })),
    ];
    let result;
    try {
      result = await this.limiter.take(items);
    } catch (err) {
      this.logger.warn({ err }, "the rate limiter failed; the call goes on unlimited");
      return NO_RESERVATION;
    }
    if (!result.ok) throw rateLimited(result.key, items, result.retryAfterMs);
    let settled = false;
    return {
      reserved: tokens,
      settle: async (used: number) => {
        if (settled) return;
        settled = true;
        const corrections = quotas
          .map((b, i) => ({ ...b, amount: items[requests.length + i]!.amount - Math.max(0, used) }))
          .filter((b) => b.amount !== 0);
        try {
          await this.limiter.give(corrections);
        } catch (err) {
          this.logger.warn({ err }, "could not settle a token reservation");
        }
      },
    };
  }

  async close(): Promise<void> {
    await this.limiter.close();
  }

  private buckets(caller: Caller, model: Model): { requests: Bucket[]; quotas: Bucket[] } {
    const requests: Bucket[] = [];
    const quotas: Bucket[] = [];
    const add = (scope: string, rpm: number | null | undefined, tpd: number | null | undefined) => {
      if (rpm) requests.push({ key: `${scope}:rpm`, capacity: rpm, refillPerMs: rpm / MINUTE_MS });
      if (tpd) quotas.push({ key: `${scope}:tpd`, capacity: tpd, refillPerMs: tpd / DAY_MS });
    };
    add(`model:${model.id}`, model.limitRequestsPerMinute, model.limitTokensPerDay);
    const { userRequestsPerMinute: rpm, userTokensPerDay: tpd } = this.defaults;
    if (caller.userId) add(`user:${caller.userId}`, rpm, tpd);
    if (caller.apiKeyId) add(`key:${caller.apiKeyId}`, rpm, tpd);
    return { requests, quotas };
  }
}

function rateLimited(key: string, items: (Bucket & { amount: number })[], retryAfterMs: number): ApiError {
  const bucket = items.find((b) => b.key === key)!;
  const [scope, , kind] = key.split(":") as [string, string, string];
  const who = scope === "model" ? "this model" : scope === "user" ? "your user" : "your API key";
  const tokens = kind === "tpd";
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const message = tokens
    ? `Rate limit reached for ${who}: ${bucket.capacity} tokens per day (this request needs ${bucket.amount}). ` +
      `Please try again in ${seconds} s.`
    : `Rate limit reached for ${who}: ${bucket.capacity} requests per minute. Please try again in ${seconds} s.`;
  return new ApiError(429, message, tokens ? "tokens" : "requests", "rate_limit_exceeded", null, {
    "retry-after": String(seconds),
    "retry-after-ms": String(retryAfterMs),
  });
}
