import { describe, expect, it } from "vitest";
import { CircuitBreaker, BreakerState } from "./breaker.js";
import { weightedOrder } from "./weighted.js";

describe("weightedOrder", () => {
  it("puts an item first in proportion to its weight", () => {
    const items = [
      { id: "a", weight: 1 },
      { id: "b", weight: 3 },
      { id: "c", weight: 0 },
    ];
    const firsts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 20_000; i++) firsts[weightedOrder(items)[0]!.id]!++;
    expect(firsts.c).toBe(0);
    expect(firsts.b! / 20_000).toBeGreaterThan(0.72);
    expect(firsts.b! / 20_000).toBeLessThan(0.78);
  });

  it("keeps every item and puts weight 0 last", () => {
    const order = weightedOrder([
      { id: "z", weight: 0 },
      { id: "a", weight: 2 },
      { id: "b", weight: 1 },
    ]);
    expect(order.map((i) => i.id).sort()).toEqual(["a", "b", "z"]);
    expect(order[2]!.id).toBe("z");
  });
});

describe("CircuitBreaker", () => {
  it("opens after N consecutive failures, half-opens after the cool-down and admits one probe", () => {
    let now = 1_000;
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 500, now: () => now });
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.state).toBe(BreakerState.CLOSED);
    breaker.failure();
    expect(breaker.state).toBe(BreakerState.OPEN);
    expect(breaker.tryAcquire()).toBe(false);
    now += 500;
    expect(breaker.state).toBe(BreakerState.HALF_OPEN);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.failure();
    expect(breaker.state).toBe(BreakerState.OPEN);
    now += 500;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe(BreakerState.CLOSED);
    expect(breaker.tryAcquire()).toBe(true);
  });

  it("frees the probe slot when the probe is released", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 10, now: () => now });
    breaker.failure();
    now = 10;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.release();
    expect(breaker.tryAcquire()).toBe(true);
  });
});
