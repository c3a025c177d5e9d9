import type { EntityManager } from "@mikro-orm/core";
import { AppError, ErrorCode } from "@ods/kit";
import { LoginThrottle } from "../entities/index.js";

export interface ThrottlePolicy {
  /** Failures of one account before it locks. */
  maxFailures: number;
  /** Failures from one client address before it locks. */
  ipMaxFailures: number;
  /** The first lock, in seconds; it doubles with each further failure. */
  baseSeconds: number;
  /** The longest lock, in seconds; failures older than this are forgotten. */
  maxSeconds: number;
}

/** The error a locked sign-in gets: the same whether or not the account exists. */
export function rateLimited(retryAfterSeconds: number): AppError {
  return new AppError(ErrorCode.RATE_LIMITED, `Too many failed sign-ins: try again in ${retryAfterSeconds} s`, {
    retryAfter: retryAfterSeconds,
  });
}

/**
 * Login lockout with exponential back-off, per account and per client address.
 *
 * @remarks After `maxFailures` failures the key locks for `baseSeconds`, and every failure past the limit doubles
 * the lock up to `maxSeconds`. While locked, sign-in is refused before the password is checked, so a locked
 * account cannot be guessed at even with the right password. The account key is the email as typed (lowercased),
 * whether or not such a user exists, so the lock answers alike for real and unknown accounts. A success clears
 * the account's count; the address's count only decays, so one good account cannot launder guesses at others.
 */
export class LoginThrottleService {
  constructor(private readonly policy: ThrottlePolicy) {}

  static keys(email: string, ip?: string | null): { account: string; ip?: string } {
    return { account: `account:${email.trim().toLowerCase()}`.slice(0, 400), ip: ip ? `ip:${ip}` : undefined };
  }

  /** Throws RATE_LIMITED (with `retryAfter` seconds) when any of the keys is locked now. */
  async check(em: EntityManager, keys: { account: string; ip?: string }): Promise<void> {
    const rows = await em.find(LoginThrottle, { key: { $in: [keys.account, ...(keys.ip ? [keys.ip] : [])] } });
    const now = Date.now();
    const until = Math.max(0, ...rows.map((r) => r.lockedUntil?.getTime() ?? 0));
    if (until > now) throw rateLimited(Math.ceil((until - now) / 1000));
  }

  /** Counts a failure against each key and locks the ones over their limit. */
  async failure(em: EntityManager, keys: { account: string; ip?: string }): Promise<void> {
    const now = new Date();
    for (const [key, limit] of [
      [keys.account, this.policy.maxFailures],
      ...(keys.ip ? [[keys.ip, this.policy.ipMaxFailures] as const] : []),
    ] as const) {
      let row = await em.findOne(LoginThrottle, { key });
      if (!row) row = em.create(LoginThrottle, { key, lastFailureAt: now });
      // A long quiet spell forgets old failures: a user who mistyped last week starts afresh.
      if (now.getTime() - row.lastFailureAt.getTime() > this.policy.maxSeconds * 1000) row.failures = 0;
      row.failures += 1;
      row.lastFailureAt = now;
      if (row.failures >= limit) {
        const seconds = Math.min(this.policy.maxSeconds, this.policy.baseSeconds * 2 ** (row.failures - limit));
        row.lockedUntil = new Date(now.getTime() + seconds * 1000);
      }
    }
    await em.flush();
  }

  /** A successful sign-in clears the account's failures. */
  async success(em: EntityManager, keys: { account: string }): Promise<void> {
    await em.nativeDelete(LoginThrottle, { key: keys.account });
  }
}
