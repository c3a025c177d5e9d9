import { SignJWT, jwtVerify } from "jose";
import { forbidden, unauthenticated } from "./errors.js";

export type Role = "admin" | "editor" | "viewer";

/**
 * Who is calling, as the gateway verified it. Anonymous callers (no token) have no `userId`: they may only
 * reach public operations such as `login`.
 */
export interface Caller {
  userId?: string;
  email?: string;
  roles: Role[];
  /** Set when the caller authenticated with an API key instead of a session. */
  apiKeyId?: string;
  /** Set when one of our own services calls another on its own behalf (e.g. generation). */
  service?: string;
}

/** The header that carries the gateway's signed statement of who the caller is. */
export const INTERNAL_TOKEN_HEADER = "x-ods-internal-token";
export const REQUEST_ID_HEADER = "x-request-id";

const ISSUER = "ods-gateway";
const AUDIENCE = "ods-subgraphs";

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/**
 * Signs a short-lived statement of the caller that subgraphs trust.
 *
 * @remarks Subgraphs never see the user's own token: the gateway verifies that once and forwards this instead,
 * so a subgraph reached directly (bypassing the gateway) refuses everything, and a forged header fails the
 * signature check. HS256 with a shared secret keeps the check to microseconds on every request.
 * @param ttlSeconds - lifetime; 60 s by default, long enough for one request or one subscription handshake.
 */
export async function signInternalToken(secret: string, caller: Caller, ttlSeconds = 60): Promise<string> {
  return new SignJWT({ email: caller.email, roles: caller.roles, akid: caller.apiKeyId, svc: caller.service })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(caller.userId ?? "anonymous")
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key(secret));
}

/**
 * Tokens already verified, until they expire. The gateway reuses a caller's token for half a minute, so one HMAC
 * check (WebCrypto's key import and verify cost about half a millisecond) serves all of that caller's requests,
 * which matters on the hot path of every subgraph request and every streamed completion.
 */
const verified = new Map<string, { secret: string; caller: Caller; until: number }>();

/** Verifies an internal token; throws UNAUTHENTICATED when it is missing, forged or expired. */
export async function verifyInternalToken(secret: string, token: string | undefined | null): Promise<Caller> {
  if (!token) throw unauthenticated("Missing internal token: subgraphs accept calls from the gateway only");
  const hit = verified.get(token);
  if (hit && hit.secret === secret && hit.until > Date.now()) return hit.caller;
  try {
    const { payload } = await jwtVerify(token, key(secret), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["HS256"],
    });
    const caller: Caller = {
      userId: payload.sub === "anonymous" ? undefined : payload.sub,
      email: payload.email as string | undefined,
      roles: (payload.roles as Role[] | undefined) ?? [],
      apiKeyId: payload.akid as string | undefined,
      service: payload.svc as string | undefined,
    };
    if (verified.size > 10_000) verified.clear();
    verified.set(token, { secret, caller, until: (payload.exp ?? 0) * 1000 });
    return caller;
  } catch {
    throw unauthenticated("Invalid internal token");
  }
}

/** The caller must be signed in (a user, an API key, or one of our services). */
export function requireUser(caller: Caller): asserts caller is Caller & { userId: string } {
  if (!caller.userId) throw unauthenticated();
}

/** Whether the caller is an admin, who may see and change everything. */
export function isAdmin(caller: Caller): boolean {
  return caller.roles.includes("admin");
}

/** The caller must hold one of `roles` (admins may do everything). */
export function requireRole(caller: Caller, ...roles: Role[]): void {
  requireUser(caller);
  if (caller.roles.includes("admin")) return;
  if (!roles.some((r) => caller.roles.includes(r))) throw forbidden(`This needs the role ${roles.join(" or ")}`);
}

/** The internal caller a service uses when it acts for a user (e.g. generating a reply to their message). */
export function serviceCaller(service: string, onBehalfOf?: Caller): Caller {
  return { ...(onBehalfOf ?? { roles: [] }), service };
}
