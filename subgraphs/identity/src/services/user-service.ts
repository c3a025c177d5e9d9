import type { EntityManager } from "@mikro-orm/core";
import { hash, verify } from "@node-rs/argon2";
import {
  badInput,
  conflict,
  noAudit,
  notFound,
  parseInput,
  unauthenticated,
  type AuditSink,
  type Caller,
  type Logger,
} from "@ods/kit";
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { SetupToken, User, UserRole } from "../entities/index.js";
import { LoginThrottleService } from "./login-throttle.js";
import type { SessionMeta, SessionService, SessionTokens } from "./session-service.js";

const email = z.email("must be an email address").transform((e) => e.trim().toLowerCase());
const password = z.string().min(8, "must be at least 8 characters").max(256, "must be at most 256 characters");

export const createUserInput = z.object({
  email,
  name: z.string().trim().min(1, "must not be empty").max(200),
  password,
  roles: z.array(z.enum(UserRole)).min(1).default([UserRole.VIEWER]),
});

const oidcInput = z.object({
  issuer: z.string().min(1).max(500),
  subject: z.string().min(1).max(255),
  email: z.string().trim().toLowerCase().max(320).optional(),
  name: z.string().trim().max(200).optional(),
  roles: z.array(z.enum(UserRole)).min(1),
});

// A hash to verify against when the email is unknown, so a wrong email takes as long as a wrong password.
const DUMMY_HASH = hash("not-a-real-password-but-takes-time");

export class UserService {
  constructor(
    private readonly sessions: SessionService,
    private readonly throttle: LoginThrottleService,
    private readonly logger: Logger,
    private readonly audit: AuditSink = noAudit,
  ) {}

  /**
   * Signs in with email and password and starts a session. Locked accounts and addresses get RATE_LIMITED before
   * the password is looked at; every other failure is the same UNAUTHENTICATED after one argon2 verification,
   * whether the email is unknown, the password wrong or the user disabled.
   */
  async login(em: EntityManager, emailIn: string, passwordIn: string, meta: Omit<SessionMeta, "method"> = {}) {
    const keys = LoginThrottleService.keys(emailIn, meta.ip);
    const failed = (reason: string, actorId?: string) =>
      this.audit.record({
        action: "auth.login_failed",
        outcome: "failure",
        actorType: "anonymous",
        actorId,
        ip: meta.ip ?? undefined,
        details: { email: emailIn.slice(0, 320), reason },
      });
    await this.throttle.check(em, keys).catch((err: unknown) => {
      failed("locked");
      throw err;
    });
    const user = await em.findOne(User, { email: emailIn.trim().toLowerCase() });
    const ok = await verify(user?.passwordHash ?? (await DUMMY_HASH), passwordIn).catch(() => false);
    if (!user || !user.passwordHash || !ok || user.disabled) {
      await this.throttle.failure(em.fork(), keys).catch((err: unknown) => {
        // Two failures racing to create the same counter: one of them counted, which is enough.
        this.logger.warn({ err }, "could not count a failed sign-in");
      });
      failed(user?.disabled ? "disabled" : "credentials", user?.id);
      throw unauthenticated("Wrong email or password");
    }
    await this.throttle.success(em, keys);
    return this.signIn(em, user, meta, { method: "password" });
  }

  /**
   * Signs in a person the OpenID provider vouched for: finds the user by issuer and subject, or creates one on
   * first sign-in, and sets the roles the provider's claims map to (the provider is the source of truth for them).
   */
  async loginWithOidc(
    em: EntityManager,
    input: z.input<typeof oidcInput>,
    meta: Omit<SessionMeta, "method"> = {},
  ): Promise<SessionTokens> {
    const data = parseInput(oidcInput, input);
    let user = await em.findOne(User, { oidcIssuer: data.issuer, oidcSubject: data.subject });
    if (!user) {
      // Someone the provider knows whose email is already a local account: refuse rather than merge, so a
      // provider that lets users pick any email cannot take over a local admin.
      const address = data.email || `${data.subject}@${new URL(data.issuer).hostname}`.toLowerCase();
      if (await em.count(User, { email: address }))
        throw conflict(`A user with email ${address} already exists and is not linked to this sign-on provider`);
      user = em.create(User, {
        email: address,
        name: data.name || address,
        oidcIssuer: data.issuer,
        oidcSubject: data.subject,
        passwordHash: null,
        roles: data.roles,
      });
      this.logger.info({ userId: user.id, issuer: data.issuer }, "created a user on first single sign-on");
    } else {
      if (data.email && data.email !== user.email && !(await em.count(User, { email: data.email })))
        user.email = data.email;
      if (data.name) user.name = data.name;
      user.roles = data.roles;
    }
    if (user.disabled) throw unauthenticated("This account is disabled");
    await em.flush();
    return this.signIn(em, user, meta, { method: "oidc", issuer: data.issuer });
  }

  /** Starts a session for a user who proved who they are, and records the sign-in. */
  private async signIn(
    em: EntityManager,
    user: User,
    meta: Omit<SessionMeta, "method">,
    details: { method: "password" | "oidc"; issuer?: string },
  ): Promise<SessionTokens> {
    const tokens = await this.sessions.start(em, user, { ...meta, method: details.method });
    this.audit.record({
      action: "auth.login",
      actorId: user.id,
      actorType: "user",
      ip: meta.ip ?? undefined,
      resourceType: "Session",
      resourceId: tokens.sessionId,
      details,
    });
    return tokens;
  }

  /** The users among `ids` and `emails` (emails compared case-insensitively), for other subgraphs' sharing. */
  async lookup(em: EntityManager, by: { ids: string[]; emails: string[] }): Promise<User[]> {
    if (!by.ids.length && !by.emails.length) return [];
    const emails = by.emails.map((e) => e.trim().toLowerCase());
    return em.find(User, { $or: [{ id: { $in: by.ids } }, { email: { $in: emails } }] });
  }

  async create(em: EntityManager, input: z.input<typeof createUserInput>): Promise<User> {
    const data = parseInput(createUserInput, input);
    if (await em.count(User, { email: data.email })) throw conflict(`A user with email ${data.email} already exists`);
    const user = em.create(User, {
      email: data.email,
      name: data.name,
      roles: data.roles,
      passwordHash: await hash(data.password),
    });
    await em.persistAndFlush(user);
    return user;
  }

  /**
   * Disables or re-enables a user (admins). Disabling ends every session and stops the user's API keys; the
   * gateway refuses their access tokens from its next revocation check (a few seconds).
   */
  async setDisabled(em: EntityManager, caller: Caller, id: string, disabled: boolean): Promise<User> {
    const user = await em.findOne(User, { id });
    if (!user) throw notFound("User", id);
    if (disabled && id === caller.userId) throw badInput("You cannot disable yourself");
    if (user.disabled !== disabled) {
      user.disabled = disabled;
      user.disabledAt = disabled ? new Date() : null;
      await em.flush();
      if (disabled) await this.sessions.logoutEverywhere(em, id, "user-disabled");
    }
    return user;
  }

  /** Changes a user's roles (admins). Takes effect at their next token refresh; admins cannot demote themselves. */
  async setRoles(em: EntityManager, caller: Caller, id: string, roles: UserRole[]): Promise<User> {
    const data = parseInput(z.object({ roles: z.array(z.enum(UserRole)).min(1, "must name at least one role") }), {
      roles,
    });
    const user = await em.findOne(User, { id });
    if (!user) throw notFound("User", id);
    if (id === caller.userId && !data.roles.includes(UserRole.ADMIN))
      throw badInput("You cannot take the admin role from yourself");
    user.roles = [...new Set(data.roles)];
    await em.flush();
    return user;
  }

  /**
   * Makes sure a fresh install has a way in: the admin from the environment when given, otherwise a one-time
   * setup token whose link is printed to the log. Does nothing once any user exists.
   * @returns the setup token to print, when one was made.
   */
  async bootstrap(em: EntityManager, admin: { email?: string; password?: string }): Promise<string | undefined> {
    if ((await em.count(User, {})) > 0) return undefined;
    if (admin.email && admin.password) {
      await this.create(em, {
        email: admin.email,
        name: "Administrator",
        password: admin.password,
        roles: [UserRole.ADMIN],
      });
      this.logger.info({ email: admin.email }, "created the first admin from ODS_ADMIN_EMAIL");
      return undefined;
    }
    const token = randomBytes(24).toString("base64url");
    await em.nativeDelete(SetupToken, {});
    em.create(SetupToken, { tokenHash: sha256(token) });
    await em.flush();
    return token;
  }

  /** Creates the first admin with a setup token; the token works once. */
  async completeSetup(
    em: EntityManager,
    token: string,
    input: { email: string; name: string; password: string },
  ): Promise<User> {
    return em.transactional(async (tx) => {
      const stored = await tx.findOne(SetupToken, { tokenHash: sha256(token), usedAt: null });
      if (!stored || (await tx.count(User, {})) > 0)
        throw unauthenticated("This setup link is invalid or was already used");
      stored.usedAt = new Date();
      return this.create(tx, { ...input, roles: [UserRole.ADMIN] });
    });
  }
}

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
