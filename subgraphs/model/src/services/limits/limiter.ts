/**
 * A token bucket: it holds up to `capacity` units and refills `refillPerMs` units per millisecond. A request per
 * minute bucket has capacity N and refills N per 60 s; a tokens-per-day bucket has capacity N and refills N per
 * day, so a quota frees up gradually instead of all at midnight.
 */
export interface Bucket {
  /** Unique across the platform, e.g. `user:<id>:rpm`. */
  key: string;
  capacity: number;
  refillPerMs: number;
}

/** The outcome of {@link Limiter.take}: taken from every bucket, or from none. */
export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number; key: string };

/**
 * Token buckets, shared by every request of a process (in memory) or of all replicas (Redis).
 *
 * @remarks `take` is all-or-nothing: a request refused by one bucket takes nothing from the others, so a
 * rejected request is never charged. `give` returns units (or, with a negative amount, takes more without
 * checking): that settles a reservation once the real cost is known, and may leave a bucket in debt.
 */
export interface Limiter {
  take(items: (Bucket & { amount: number })[]): Promise<TakeResult>;
  give(items: (Bucket & { amount: number })[]): Promise<void>;
  close(): Promise<void>;
}

/** A bucket's stored state: units left (may be negative after a settled overrun) at time `ts` (ms). */
export interface BucketState {
  tokens: number;
  ts: number;
}

/** The bucket's units at `now`: what it held plus the refill since, at most its capacity. A new bucket is full. */
export function refill(bucket: Omit<Bucket, "key">, state: BucketState | undefined, now: number): number {
  if (!state) return bucket.capacity;
  return Math.min(bucket.capacity, state.tokens + Math.max(0, now - state.ts) * bucket.refillPerMs);
}

/** How long until a bucket holding `tokens` can give `amount` (ms, at least 1). */
export function waitFor(bucket: Omit<Bucket, "key">, tokens: number, amount: number): number {
  return Math.max(1, Math.ceil((amount - tokens) / bucket.refillPerMs));
}
