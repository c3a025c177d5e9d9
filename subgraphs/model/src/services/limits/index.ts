import type { Logger } from "@ods/kit";
import { LimitService, type LimitDefaults } from "./limit-service.js";
import { MemoryLimiter } from "./memory-limiter.js";
import { RedisLimiter } from "./redis-limiter.js";

export { LimitService, modelLimitsInput, modelUsageColumns, modelUsageFields } from "./limit-service.js";
export type { LimitDefaults, Reservation } from "./limit-service.js";
export { MemoryLimiter } from "./memory-limiter.js";
export { RedisLimiter } from "./redis-limiter.js";
export type { Bucket, Limiter, TakeResult } from "./limiter.js";

/** The configured limits: buckets in Redis when `redisUrl` is set (shared by replicas), in memory otherwise. */
export function createLimitService(options: { redisUrl?: string; defaults: LimitDefaults; logger: Logger }) {
  const limiter = options.redisUrl ? new RedisLimiter(options.redisUrl) : new MemoryLimiter();
  return new LimitService(limiter, options.defaults, options.logger);
}
