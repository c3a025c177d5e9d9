import { INTERNAL_TOKEN_HEADER, signInternalToken, unauthenticated, type Caller, type Role } from "@ods/kit";
import { parse as parseCookies } from "cookie";
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { IncomingHttpHeaders } from "node:http";

export const SESSION_COOKIE = "ods_session";
const API_KEY = /^ods_[0-9a-f]{12}_[\w-]{20,}$/;

/**
 * Works out who is calling from the request: a session cookie (browsers), or `Authorization: Bearer` with an
 * access token or an API key (programs). No credentials means anonymous; bad credentials are an error, never
 * silently anonymous, so a client with an expired token learns it at once.
 *
 * @remarks Access tokens are verified locally against identity's JWKS (fetched once and cached by jose); API keys
 * are checked by identity and the answer cached for `apiKeyCacheMs`, so revocation takes effect within that time.
 */
export class Authenticator {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  private readonly apiKeys = new Map<string, { caller?: Caller; until: number }>();
  /** Verified access tokens: an ES256 check costs more than the rest of a small request, so do it once per token. */
  private readonly verified = new Map<string, { caller: Caller; until: number }>();

  constructor(
    private readonly identityUrl: string,
    private readonly internalSecret: string,
    private readonly apiKeyCacheMs = 30_000,
  ) {
    this.jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", identityUrl), { cooldownDuration: 5_000 });
  }

  /** The raw credential in a request, if any. */
  credential(headers: IncomingHttpHeaders | Record<string, unknown>): string | undefined {
    const auth = headers.authorization;
    if (typeof auth === "string" && auth.trim()) {
      const match = /^Bearer\s+(\S+)$/i.exec(auth.trim());
      if (!match) throw unauthenticated("The Authorization header must be `Bearer <token or API key>`");
      return match[1];
    }
    const cookie = headers.cookie;
    if (typeof cookie === "string") return parseCookies(cookie)[SESSION_COOKIE] || undefined;
    return undefined;
  }

  /** Resolves a credential to a caller; undefined credential → anonymous. Throws UNAUTHENTICATED when invalid. */
  async authenticate(credential: string | undefined): Promise<Caller> {
    if (!credential) return { roles: [] };
    if (API_KEY.test(credential)) return this.verifyApiKey(credential);
    const cached = this.verified.get(credential);
    if (cached && cached.until > Date.now()) return cached.caller;
    try {
      const { payload } = await jwtVerify(credential, this.jwks, {
        issuer: "one-data-studio",
        audience: "one-data-studio",
        algorithms: ["ES256"],
      });
      const caller: Caller = {
        userId: payload.sub,
        email: payload.email as string,
        roles: (payload.roles as Role[]) ?? [],
      };
      if (this.verified.size > 10_000) this.verified.clear();
      // Never past the token's own expiry; a minute at most, so a rotated signing key takes effect soon.
      this.verified.set(credential, { caller, until: Math.min((payload.exp ?? 0) * 1000, Date.now() + 60_000) });
      return caller;
    } catch (err) {
      const expired = (err as { code?: string }).code === "ERR_JWT_EXPIRED";
      throw unauthenticated(expired ? "Your session has expired: sign in again" : "Invalid access token");
    }
  }

  private async verifyApiKey(key: string): Promise<Caller> {
    const cached = this.apiKeys.get(key);
    if (cached && cached.until > Date.now()) {
      if (!cached.caller) throw unauthenticated("Unknown or revoked API key");
      return cached.caller;
    }
    const res = await fetch(new URL("/internal/api-keys/verify", this.identityUrl), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [INTERNAL_TOKEN_HEADER]: await signInternalToken(this.internalSecret, { roles: [], service: "gateway" }),
      },
      body: JSON.stringify({ key }),
      signal: AbortSignal.timeout(5_000),
    }).catch(() => undefined);
    if (!res || (res.status !== 200 && res.status !== 404)) {
      throw unauthenticated("Could not verify the API key right now; try again");
    }
    const caller = res.status === 200 ? ((await res.json()) as { caller: Caller }).caller : undefined;
    if (this.apiKeys.size > 10_000) this.apiKeys.clear();
    this.apiKeys.set(key, { caller, until: Date.now() + this.apiKeyCacheMs });
    if (!caller) throw unauthenticated("Unknown or revoked API key");
    return caller;
  }
}
