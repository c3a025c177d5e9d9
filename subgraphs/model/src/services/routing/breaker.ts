import { registerEnumType } from "type-graphql";

/** Where an endpoint's circuit breaker stands. */
export enum BreakerState {
  CLOSED = "CLOSED",
  OPEN = "OPEN",
  HALF_OPEN = "HALF_OPEN",
}
registerEnumType(BreakerState, {
  name: "ModelBreakerState",
  description:
    "CLOSED: calls go through; OPEN: skipped after repeated failures; HALF_OPEN: the cool-down is over and the " +
    "next call is a probe that closes or reopens it",
});

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** How long an open breaker refuses calls before it lets one probe through (ms). */
  cooldownMs: number;
  now?: () => number;
}

/**
 * A per-endpoint circuit breaker: opens after `failureThreshold` consecutive failures, refuses calls for
 * `cooldownMs`, then admits exactly one probe; the probe's success closes it, its failure reopens it.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The state as a client would see it now (an open breaker whose cool-down is over reads HALF_OPEN). */
  get state(): BreakerState {
    if (this.openedAt === null) return BreakerState.CLOSED;
    if (this.probing || this.now() - this.openedAt >= this.options.cooldownMs) return BreakerState.HALF_OPEN;
    return BreakerState.OPEN;
  }

  /** When an open breaker admits its probe (epoch ms); null when it is closed. */
  get retryAt(): number | null {
    return this.openedAt === null ? null : this.openedAt + this.options.cooldownMs;
  }

  /**
   * Asks to send a call. True when closed, or when the cool-down is over and no probe is out yet (this call
   * becomes the probe); every admitted call must end with {@link success}, {@link failure} or {@link release}.
   */
  tryAcquire(): boolean {
    if (this.openedAt === null) return true;
    if (this.probing || this.now() - this.openedAt < this.options.cooldownMs) return false;
    this.probing = true;
    return true;
  }

  /** The endpoint answered: closes the breaker and forgets earlier failures. */
  success(): void {
    this.failures = 0;
    this.openedAt = null;
    this.probing = false;
  }

  /** The endpoint failed (connect error, 5xx, timeout, dropped stream). */
  failure(): void {
    this.failures++;
    if (this.probing || this.failures >= this.options.failureThreshold) this.openedAt = this.now();
    this.probing = false;
  }

  /** The call ended without telling anything about the endpoint (the client went away): frees the probe slot. */
  release(): void {
    this.probing = false;
  }
}
