export * from "./port.js";
export * from "./in-process.js";
export * from "./redis.js";
export * from "./follow.js";
import { InProcessPubSub } from "./in-process.js";
import type { PubSub } from "./port.js";
import { RedisPubSub } from "./redis.js";

/** The configured pub/sub: Redis when `ODS_REDIS_URL` is set, in-process otherwise. */
export function createPubSub(redisUrl: string | undefined): PubSub {
  return redisUrl ? new RedisPubSub(redisUrl) : new InProcessPubSub();
}
