import { Redis } from "ioredis";
import type { Bucket, Limiter, TakeResult } from "./limiter.js";

/**
 * The whole check-and-take (or give) over every bucket of a request, atomic because Redis runs a script alone.
 * KEYS are the buckets; ARGV[1] is "take" or "give", then capacity, refill per ms and amount for each key.
 * Time is Redis's own clock, so replicas with skewed clocks agree. Returns {1} when done, or {0, wait ms, index of
 * the refusing key} when a take is refused (nothing is taken then). A bucket expires once it would be full again.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local take = ARGV[1] == 'take'
local levels = {}
local wait, refused = 0, 0
for i = 1, #KEYS do
  local cap = tonumber(ARGV[i * 3 - 1])
  local rate = tonumber(ARGV[i * 3])
  local amount = tonumber(ARGV[i * 3 + 1])
  local v = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
  local level = cap
  if v[1] then
    level = math.min(cap, tonumber(v[1]) + math.max(0, now - tonumber(v[2])) * rate)
  end
  levels[i] = level
  if take and amount > 0 and level < amount then
    local w = math.max(1, math.ceil((amount - level) / rate))
    if w > wait then wait, refused = w, i end
  end
end
if refused > 0 then return {0, wait, refused} end
for i = 1, #KEYS do
  local cap = tonumber(ARGV[i * 3 - 1])
  local rate = tonumber(ARGV[i * 3])
  local amount = tonumber(ARGV[i * 3 + 1])
  local level
  if take then level = levels[i] - amount else level = math.min(cap, levels[i] + amount) end
  redis.call('HSET', KEYS[i], 'tokens', tostring(level), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil((cap - level) / rate) + 1000)
end
return {1}
`;

/** Token buckets in Redis (`ODS_REDIS_URL`), shared by every replica of the model subgraph. */
export class RedisLimiter implements Limiter {
  private readonly client: Redis;

  constructor(
    url: string,
    private readonly prefix = "ods:limit:",
  ) {
    this.client = new Redis(url, {
      commandTimeout: 2_000,
      maxRetriesPerRequest: 1,
      // Reconnect forever with back-off: the process stays up while Redis is away.
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 5_000),
    });
    // Failures surface on the calls; without a listener ioredis would print every reconnect attempt.
    this.client.on("error", () => {});
    this.client.defineCommand("odsBuckets", { lua: SCRIPT });
  }

  async take(items: (Bucket & { amount: number })[]): Promise<TakeResult> {
    if (items.length === 0) return { ok: true };
    const [ok, wait, index] = await this.run("take", items);
    if (ok === 1) return { ok: true };
    return { ok: false, retryAfterMs: wait!, key: items[index! - 1]!.key };
  }

  async give(items: (Bucket & { amount: number })[]): Promise<void> {
    if (items.length === 0) return;
    await this.run("give", items);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private run(mode: "take" | "give", items: (Bucket & { amount: number })[]): Promise<number[]> {
    const args = items.flatMap((b) => [b.capacity, b.refillPerMs, b.amount].map(String));
    const command = (this.client as unknown as Record<string, (...a: unknown[]) => Promise<number[]>>).odsBuckets!;
    return command.call(this.client, items.length, ...items.map((b) => this.prefix + b.key), mode, ...args);
  }
}
