import type { EntityManager } from "@mikro-orm/core";
import { notFound, unauthenticated, type Caller, isAdmin } from "@ods/kit";
import { randomBytes } from "node:crypto";
import { RefreshToken, Session, User } from "../entities/index.js";
import type { IssuedToken, TokenService } from "./token-service.js";
import { sha256 } from "./user-service.js";

/** What a sign-in or a refresh hands out. `refreshToken` is absent only inside the reuse grace window. */
export interface SessionTokens extends IssuedToken {
  refreshToken?: string;
  refreshExpiresAt?: Date;
  sessionId: string;
  user: User;
}

export interface SessionMeta {
  method: "password" | "oidc" | "setup";
  ip?: string | null;
  userAgent?: string | null;
}

export interface SessionPolicy {
  /** Refresh token lifetime in seconds. */
  refreshTtlSeconds: number;
  /** Seconds during which a just-retired refresh token is a race, not a theft. */
  reuseGraceSeconds: number;
}

const REFRESH_PREFIX = "odsr_";

/**
 * Sessions: an access token (short, stateless) plus a rotating refresh token (long, stored hashed).
 *
 * @remarks Each use of a refresh token retires it and issues the next one of its family (the session). A retired
 * token presented again means two parties hold it, one of them a thief: the whole family is revoked, so both must
 * sign in again. Revoked sessions and disabled users are published to the gateway ({@link revocations}), which
 * then refuses their access tokens before they expire.
 */
export class SessionService {
  constructor(
    private readonly tokens: TokenService,
    private readonly policy: SessionPolicy,
  ) {}

  /** Starts a session for a user who has just proved who they are. */
  async start(em: EntityManager, user: User, meta: SessionMeta): Promise<SessionTokens> {
    const session = em.create(Session, {
      userId: user.id,
      method: meta.method,
      ip: meta.ip?.slice(0, 64) ?? null,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
      expiresAt: this.refreshExpiry(),
    });
    user.lastLoginAt = new Date();
    const refresh = this.newRefreshToken(em, session);
    await em.flush();
    await this.tokens.sync(em);
    return { ...(await this.tokens.issue(user, session.id)), ...refresh, sessionId: session.id, user };
  }

  /** Trades a refresh token for a new pair; see the class remarks for reuse. Throws UNAUTHENTICATED when refused. */
  async refresh(em: EntityManager, presented: string): Promise<SessionTokens> {
    const refused = () => unauthenticated("Your session has ended: sign in again");
    if (!presented.startsWith(REFRESH_PREFIX)) throw refused();
    const stored = await em.findOne(RefreshToken, { tokenHash: sha256(presented) });
    if (!stored) throw refused();
    const session = await em.findOne(Session, { id: stored.sessionId });
    const now = new Date();
    if (!session || session.revokedAt || stored.expiresAt <= now) throw refused();
    const user = await em.findOne(User, { id: session.userId });
    if (!user || user.disabled) throw refused();
    if (stored.retiredAt) {
      const withinGrace = now.getTime() - stored.retiredAt.getTime() < this.policy.reuseGraceSeconds * 1000;
      if (!withinGrace) {
        await this.revokeSessions(em, { id: session.id }, "reuse");
        throw unauthenticated("This refresh token was already used: the session was ended for safety; sign in again");
      }
      // A parallel request raced the rotation: give it an access token, but no second refresh token.
      await this.tokens.sync(em);
      return { ...(await this.tokens.issue(user, session.id)), sessionId: session.id, user };
    }
    // Retire with a conditional update: of two concurrent refreshes only one wins; the other is the race above.
    const won = await em.nativeUpdate(
      RefreshToken,
      { tokenHash: stored.tokenHash, retiredAt: null },
      { retiredAt: now },
    );
    if (won === 0) return this.refresh(em.fork(), presented);
    session.lastUsedAt = now;
    session.expiresAt = this.refreshExpiry();
    const refresh = this.newRefreshToken(em, session);
    await em.flush();
    await this.tokens.sync(em);
    return { ...(await this.tokens.issue(user, session.id)), ...refresh, sessionId: session.id, user };
  }

  /** Ends the session a refresh token belongs to (sign out here). Unknown tokens are ignored. */
  async logout(em: EntityManager, presented: string): Promise<string | undefined> {
    const stored = await em.findOne(RefreshToken, { tokenHash: sha256(presented) });
    if (!stored) return undefined;
    await this.revokeSessions(em, { id: stored.sessionId }, "logout");
    return stored.sessionId;
  }

  /** Ends every session of a user (sign out everywhere); returns how many were live. */
  async logoutEverywhere(em: EntityManager, userId: string, reason = "logout-everywhere"): Promise<number> {
    return this.revokeSessions(em, { userId }, reason);
  }

  /** The caller's sessions, or (admins) another user's; others' sessions are NOT_FOUND to non-admins. */
  async list(em: EntityManager, caller: Caller, userId?: string | null, includeEnded = false): Promise<Session[]> {
    const owner = userId ?? caller.userId!;
    if (owner !== caller.userId && !isAdmin(caller)) throw notFound("User", owner);
    const live = includeEnded ? {} : { revokedAt: null, expiresAt: { $gt: new Date() } };
    return em.find(Session, { userId: owner, ...live }, { orderBy: { lastUsedAt: "desc", id: "asc" } });
  }

  /** Revokes one session: one's own, or any for admins. */
  async revoke(em: EntityManager, caller: Caller, id: string): Promise<Session> {
    const session = await em.findOne(Session, { id });
    if (!session || (session.userId !== caller.userId && !isAdmin(caller))) throw notFound("Session", id);
    if (!session.revokedAt) await this.revokeSessions(em, { id }, "revoked");
    return em.fork().findOneOrFail(Session, { id });
  }

  /**
   * What the gateway must refuse before tokens expire on their own: sessions revoked and users disabled within
   * the last access-token lifetime (older access tokens have expired anyway).
   */
  async revocations(em: EntityManager): Promise<{ sessions: string[]; users: { id: string; at: string }[] }> {
    const since = new Date(Date.now() - (this.tokens.ttlSeconds + 60) * 1000);
    const sessions = await em.find(Session, { revokedAt: { $gt: since } }, { fields: ["id"] });
    const users = await em.find(User, { disabled: true, disabledAt: { $gt: since } }, { fields: ["id", "disabledAt"] });
    return {
      sessions: sessions.map((s) => s.id),
      users: users.map((u) => ({ id: u.id, at: (u.disabledAt ?? new Date(0)).toISOString() })),
    };
  }

  private async revokeSessions(em: EntityManager, where: { id?: string; userId?: string }, reason: string) {
    return em.nativeUpdate(Session, { ...where, revokedAt: null }, { revokedAt: new Date(), revokedReason: reason });
  }

  private newRefreshToken(em: EntityManager, session: Session) {
    const refreshToken = `${REFRESH_PREFIX}${randomBytes(32).toString("base64url")}`;
    em.create(RefreshToken, { tokenHash: sha256(refreshToken), sessionId: session.id, expiresAt: session.expiresAt });
    return { refreshToken, refreshExpiresAt: session.expiresAt };
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.policy.refreshTtlSeconds * 1000);
  }
}
