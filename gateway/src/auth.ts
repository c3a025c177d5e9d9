import type { ApolloServerPlugin } from "@apollo/server";
import {
  AppError,
  ErrorCode,
  INTERNAL_TOKEN_HEADER,
  signInternalToken,
  unauthenticated,
  type Caller,
  type Role,
} from "@ods/kit";
import { parse as parseCookies } from "cookie";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import { getOperationAST, Kind, type DocumentNode, type SelectionNode } from "graphql";
import type { IncomingHttpHeaders } from "node:http";
import type { GatewayContext } from "./context.js";
import { operationSelection } from "./subscriptions/plan.js";

export const SESSION_COOKIE = "ods_session";
export const REFRESH_COOKIE = "ods_refresh";
const API_KEY = /^ods_[0-9a-f]{12}_[\w-]{20,}$/;

/** API key scopes (identity's `ApiKeyScope`). */
export type ApiKeyScope = "READ" | "WRITE" | "ADMIN" | "MODEL_API";

/**
 * Where a credential is being used. `api`: GraphQL (HTTP and graphql-ws) and the REST routes under `/api`;
 * `model-api`: the OpenAI-compatible `/v1`.
 */
export type Surface = "api" | "model-api";

/** What identity answers for a session sign-in or refresh. */
export interface SessionTokens {
  accessToken: string;
  expiresAt: string;
  refreshToken?: string;
  refreshExpiresAt?: string;
  sessionId: string;
  user: { id: string; email: string; name: string; roles: string[] };
}

/** An expected failure of a session call, with the HTTP status and (for lockouts) Retry-After seconds. */
export class SessionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "SessionError";
  }
}

interface SharedState {
  jwks: ReturnType<typeof createRemoteJWKSet>;
  lastForcedReload: number;
  apiKeys: Map<string, { caller?: Caller; scopes?: ApiKeyScope[]; until: number }>;
  scopesByKeyId: Map<string, ApiKeyScope[]>;
  verified: Map<string, { caller: Caller; sid?: string; until: number }>;
  revoked: { sessions: Set<string>; users: Map<string, number>; fetchedAt: number; pending?: Promise<void> };
  refreshing: Map<string, Promise<SessionTokens>>;
}

export interface AuthenticatorOptions {
  /** How long an API key's verification is remembered. @defaultValue `30_000` — 30 s */
  apiKeyCacheMs?: number;
  /** How old the list of revoked sessions and disabled users may get before it is fetched again. @defaultValue `5_000` — 5 s */
  revocationRefreshMs?: number;
}

/**
 * Works out who is calling from the request: a session cookie (browsers), or `Authorization: Bearer` with an
 * access token or an API key (programs). No credentials means anonymous; bad credentials are an error, never
 * silently anonymous, so a client with an expired token learns it at once.
 *
 * @remarks Access tokens are verified locally against identity's JWKS (fetched once and cached by jose; a token
 * with an unknown `kid`, as after a key rotation, makes it fetch again, at most once a second). API keys are
 * checked by identity and the answer cached for `apiKeyCacheMs`, so revocation takes effect within that time.
 * Stateless access tokens cannot be recalled, so the gateway also keeps identity's list of sessions revoked and
 * users disabled within the last token lifetime, fetched again when older than `revocationRefreshMs`: signing out
 * everywhere or disabling a user stops their tokens within seconds, not at expiry.
 */
export class Authenticator {
  private readonly state: SharedState;

  constructor(
    private readonly identityUrl: string,
    private readonly internalSecret: string,
    private readonly options: AuthenticatorOptions = {},
    private readonly surface: Surface = "api",
    state?: SharedState,
  ) {
    this.state = state ?? {
      jwks: createRemoteJWKSet(new URL("/.well-known/jwks.json", identityUrl), { cooldownDuration: 1_000 }),
      lastForcedReload: 0,
      apiKeys: new Map(),
      scopesByKeyId: new Map(),
      verified: new Map(),
      revoked: { sessions: new Set(), users: new Map(), fetchedAt: 0 },
      refreshing: new Map(),
    };
  }

  /** The same authenticator (sharing its caches) for the model API, where MODEL_API keys are accepted. */
  forModelApi(): Authenticator {
    return new Authenticator(this.identityUrl, this.internalSecret, this.options, "model-api", this.state);
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
    let hit = this.state.verified.get(credential);
    if (!hit || hit.until <= Date.now()) {
      const payload = await this.verifyJwt(credential);
      hit = {
        caller: { userId: payload.sub, email: payload.email as string, roles: (payload.roles as Role[]) ?? [] },
        sid: typeof payload.sid === "string" ? payload.sid : undefined,
        // Never past the token's own expiry; a minute at most.
        until: Math.min((payload.exp ?? 0) * 1000, Date.now() + 60_000),
      };
      if (this.state.verified.size > 10_000) this.state.verified.clear();
      this.state.verified.set(credential, hit);
    }
    await this.freshRevocations();
    const { revoked } = this.state;
    // A disabled user cannot get new tokens, so every token of theirs still in circulation predates the disabling.
    if ((hit.sid && revoked.sessions.has(hit.sid)) || revoked.users.has(hit.caller.userId ?? "")) {
      throw unauthenticated("Your session has ended: sign in again");
    }
    return hit.caller;
  }

  /** The scopes of the API key a caller used; undefined for sessions (which may do all their roles allow). */
  scopesOf(caller: Caller): ApiKeyScope[] | undefined {
    return caller.apiKeyId ? this.state.scopesByKeyId.get(caller.apiKeyId) : undefined;
  }

  /**
   * Trades a refresh token for a new pair at identity. Concurrent calls with the same token (a browser's parallel
   * requests) share the one call in flight; a call that comes after it has finished goes to identity, which
   * treats a just-retired token within its grace window as a race and anything later as theft.
   */
  async refresh(refreshToken: string): Promise<SessionTokens> {
    const pending = this.state.refreshing.get(refreshToken);
    if (pending) return pending;
    const result = this.session("/internal/sessions/refresh", { refreshToken });
    this.state.refreshing.set(refreshToken, result);
    const forget = () => this.state.refreshing.delete(refreshToken);
    result.then(forget, forget);
    return result;
  }

  /** Calls one of identity's internal session routes; throws {@link SessionError} with identity's answer. */
  async session(path: string, body: Record<string, unknown>): Promise<SessionTokens> {
    const res = await fetch(new URL(path, this.identityUrl), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [INTERNAL_TOKEN_HEADER]: await signInternalToken(this.internalSecret, { roles: [], service: "gateway" }),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    if (!res) throw new SessionError(503, "UPSTREAM_UNAVAILABLE", "The identity service did not answer");
    // A session that just ended (signed out, or a refresh token reused) must not wait for the next revocation
    // fetch to stop its access tokens.
    if (path.endsWith("/logout") || (path.endsWith("/refresh") && res.status === 401)) this.state.revoked.fetchedAt = 0;
    const json = (await res.json().catch(() => ({}))) as SessionTokens & {
      error?: { code?: string; message?: string; retryAfter?: number };
    };
    if (!res.ok) {
      throw new SessionError(
        res.status,
        json.error?.code ?? "INTERNAL_SERVER_ERROR",
        json.error?.message ?? "The identity service failed",
        json.error?.retryAfter,
      );
    }
    return json;
  }

  private async verifyJwt(token: string): Promise<JWTPayload> {
    const verify = () =>
      jwtVerify(token, this.state.jwks, {
        issuer: "one-data-studio",
        audience: "one-data-studio",
        algorithms: ["ES256"],
      });
    try {
      try {
        return (await verify()).payload;
      } catch (err) {
        // A key rotated in since the last fetch: fetch the JWKS again (at most once a second, so forged `kid`s
        // cannot turn every request into a call to identity) and try once more.
        if ((err as { code?: string }).code !== "ERR_JWKS_NO_MATCHING_KEY") throw err;
        if (Date.now() - this.state.lastForcedReload < 1_000) throw err;
        this.state.lastForcedReload = Date.now();
        await this.state.jwks.reload();
        return (await verify()).payload;
      }
    } catch (err) {
      const expired = (err as { code?: string }).code === "ERR_JWT_EXPIRED";
      throw unauthenticated(expired ? "Your session has expired: sign in again" : "Invalid access token");
    }
  }

  /** Refetches the revocation list when stale; on failure keeps the last one (identity may be restarting). */
  private async freshRevocations(): Promise<void> {
    const revoked = this.state.revoked;
    const refreshMs = this.options.revocationRefreshMs ?? 5_000;
    if (Date.now() - revoked.fetchedAt < refreshMs) return;
    revoked.pending ??= (async () => {
      try {
        const res = await fetch(new URL("/internal/revocations", this.identityUrl), {
          headers: {
            [INTERNAL_TOKEN_HEADER]: await signInternalToken(this.internalSecret, { roles: [], service: "gateway" }),
          },
          signal: AbortSignal.timeout(3_000),
        });
        if (!res.ok) throw new Error(`identity answered ${res.status}`);
        const body = (await res.json()) as { sessions: string[]; users: { id: string; at: string }[] };
        revoked.sessions = new Set(body.sessions);
        revoked.users = new Map(body.users.map((u) => [u.id, new Date(u.at).getTime()]));
        revoked.fetchedAt = Date.now();
      } catch {
        // Keep the previous list and try again in a second: while identity is away (restarting), requests must
        // not each wait for this call to time out.
        revoked.fetchedAt = Date.now() - refreshMs + 1_000;
      } finally {
        revoked.pending = undefined;
      }
    })();
    await revoked.pending;
  }

  private async verifyApiKey(key: string): Promise<Caller> {
    let cached = this.state.apiKeys.get(key);
    if (!cached || cached.until <= Date.now()) {
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
      const body = res.status === 200 ? ((await res.json()) as { caller: Caller; scopes: ApiKeyScope[] }) : undefined;
      if (this.state.apiKeys.size > 10_000) this.state.apiKeys.clear();
      cached = {
        caller: body?.caller,
        scopes: body?.scopes,
        until: Date.now() + (this.options.apiKeyCacheMs ?? 30_000),
      };
      this.state.apiKeys.set(key, cached);
      if (body?.caller.apiKeyId) this.state.scopesByKeyId.set(body.caller.apiKeyId, body.scopes);
    }
    if (!cached.caller) throw unauthenticated("Unknown, expired or revoked API key");
    await this.freshRevocations();
    if (this.state.revoked.users.has(cached.caller.userId ?? ""))
      throw unauthenticated("Unknown, expired or revoked API key");
    const scopes = cached.scopes ?? [];
    if (this.surface === "model-api") {
      if (!scopes.some((s) => s === "MODEL_API" || s === "WRITE" || s === "ADMIN")) {
        throw forbiddenKey("This API key may not call the model API: it needs the scope MODEL_API or WRITE");
      }
    } else if (!scopes.some((s) => s !== "MODEL_API")) {
      throw forbiddenKey("This API key reaches the model API (/v1) only: its scope is MODEL_API");
    }
    return cached.caller;
  }
}

/** A key used beyond its scopes: FORBIDDEN (the key is valid, it may not do this), with HTTP 403. */
function forbiddenKey(message: string): AppError {
  return new AppError(ErrorCode.FORBIDDEN, message, { http: { status: 403 } });
}

/** Subscriptions that write: `chat` stores the message it sends (it is `sendMessage` and `messageStream` in one). */
const WRITING_SUBSCRIPTIONS = new Set(["chat"]);

/**
 * Refuses a subscription that writes (see {@link WRITING_SUBSCRIPTIONS}) to an API key without WRITE or ADMIN,
 * as {@link apiKeyScopePlugin} refuses a mutation; any other subscription only reads.
 */
export function checkSubscriptionScope(
  auth: Authenticator,
  caller: Caller,
  document: DocumentNode,
  operationName: string | null | undefined,
): void {
  const scopes = auth.scopesOf(caller);
  if (!scopes || scopes.includes("WRITE") || scopes.includes("ADMIN")) return;
  const operation = getOperationAST(document, operationName);
  if (!operation) return;
  // Root fields may sit in fragments: `subscription { ...Send }` (named ones become inline ones here).
  const writes = (selections: readonly SelectionNode[]): boolean =>
    selections.some((s) =>
      s.kind === Kind.FIELD
        ? WRITING_SUBSCRIPTIONS.has(s.name.value)
        : s.kind === Kind.INLINE_FRAGMENT && writes(s.selectionSet.selections),
    );
  if (writes(operationSelection(document, operation).selections)) {
    throw forbiddenKey("This API key may only read: chat sends a message and needs the scope WRITE");
  }
}

/**
 * Enforces API key scopes on GraphQL operations: a key without WRITE or ADMIN may run queries (and subscriptions,
 * which graphql-ws checks through {@link Authenticator.authenticate} and {@link checkSubscriptionScope}) but no
 * mutation.
 */
export const apiKeyScopePlugin = (auth: Authenticator): ApolloServerPlugin<GatewayContext> => ({
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, contextValue }) {
        const scopes = auth.scopesOf(contextValue.caller);
        if (!scopes || operation?.operation !== "mutation") return;
        if (scopes.includes("WRITE") || scopes.includes("ADMIN")) return;
        throw forbiddenKey("This API key may only read: mutations need the scope WRITE");
      },
    };
  },
});
