import { refill, waitFor, type Bucket, type BucketState, type Limiter, type TakeResult } from "./limiter.js";

/** Above this many buckets, full ones are dropped (a full bucket is the same as an absent one). */
const SWEEP_ABOVE = 10_000;

/**
 * Token buckets in this process's memory: the embedded profile, or one replica alone. Every operation is
 * synchronous inside, so concurrent requests cannot interleave between the check and the take.
 */
export class MemoryLimiter implements Limiter {
  private readonly buckets = new Map<string, BucketState & { capacity: number; refillPerMs: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(items: (Bucket & { amount: number })[]): Promise<TakeResult> {
    const now = this.now();
    const levels = items.map((item) => refill(item, this.buckets.get(item.key), now));
    let refused: { retryAfterMs: number; key: string } | null = null;
    items.forEach((item, i) => {
      if (item.amount <= 0 || levels[i]! >= item.amount) return;
      const retryAfterMs = waitFor(item, levels[i]!, item.amount);
      if (!refused || retryAfterMs > refused.retryAfterMs) refused = { retryAfterMs, key: item.key };
    });
    if (refused) return { ok: false, ...(refused as { retryAfterMs: number; key: string }) };
    items.forEach((item, i) => this.store(item, levels[i]! - item.amount, now));
    this.sweep(now);
    return { ok: true };
  }

  async give(items: (Bucket & { amount: number })[]): Promise<void> {
    const now = this.now();
    for (const item of items) {
      this.store(item, Math.min(item.capacity, refill(item, this.buckets.get(item.key), now) + item.amount), now);
    }
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }

  private store(bucket: Bucket, tokens: number, now: number): void {
    this.buckets.set(bucket.key, { tokens, ts: now, capacity: bucket.capacity, refillPerMs: bucket.refillPerMs });
  }

  private sweep(now: number): void {
    if (this.buckets.size <= SWEEP_ABOVE) return;
    for (const [key, state] of this.buckets) {
      if (refill(state, state, now) >= state.capacity) this.buckets.delete(key);
    }
  }
}
