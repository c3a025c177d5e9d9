import { describe, expect, it } from "vitest";
import { MemoryLimiter } from "./memory-limiter.js";

const rpm = (key: string, capacity: number) => ({ key, capacity, refillPerMs: capacity / 60_000, amount: 1 });

describe("MemoryLimiter", () => {
  it("refuses past the capacity with the wait until a unit refills, and refills over time", async () => {
    let now = 1_000_000;
    const limiter = new MemoryLimiter(() => now);
    expect(await limiter.take([rpm("a", 2)])).toEqual({ ok: true });
    expect(await limiter.take([rpm("a", 2)])).toEqual({ ok: true });
    expect(await limiter.take([rpm("a", 2)])).toEqual({ ok: false, retryAfterMs: 30_000, key: "a" });
    now += 30_000;
    expect(await limiter.take([rpm("a", 2)])).toEqual({ ok: true });
  });

  it("takes from every bucket or from none", async () => {
    const limiter = new MemoryLimiter(() => 0);
    const quota = { key: "q", capacity: 100, refillPerMs: 100 / 86_400_000 };
    expect(await limiter.take([rpm("r", 10), { ...quota, amount: 80 }])).toEqual({ ok: true });
    // The quota refuses 30 more, so the request bucket must keep its 9 units.
    expect((await limiter.take([rpm("r", 10), { ...quota, amount: 30 }])).ok).toBe(false);
    for (let i = 0; i < 9; i++) expect((await limiter.take([rpm("r", 10)])).ok).toBe(true);
    expect((await limiter.take([rpm("r", 10)])).ok).toBe(false);
    // Settling: give back what a reservation did not use, never above the capacity.
    await limiter.give([{ ...quota, amount: 70 }]);
    expect(await limiter.take([{ ...quota, amount: 90 }])).toEqual({ ok: true });
    await limiter.give([{ ...quota, amount: 1_000 }]);
    expect((await limiter.take([{ ...quota, amount: 101 }])).ok).toBe(false);
  });
});
