import type { EntityManager } from "@mikro-orm/core";
import { hash, verify } from "@node-rs/argon2";
import { conflict, parseInput, unauthenticated, type Logger } from "@ods/kit";
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { SetupToken, User, UserRole } from "../entities/index.js";
import type { IssuedToken, TokenService } from "./token-service.js";

const email = z.email("must be an email address").transform((e) => e.trim().toLowerCase());
const password = z.string().min(8, "must be at least 8 characters").max(256, "must be at most 256 characters");

export const createUserInput = z.object({
  email,
  name: z.string().trim().min(1, "must not be empty").max(200),
  password,
  roles: z.array(z.enum(UserRole)).min(1).default([UserRole.VIEWER]),
});

// A hash to verify against when the email is unknown, so a wrong email takes as long as a wrong password.
const DUMMY_HASH = hash("not-a-real-password-but-takes-time");

export class UserService {
  constructor(
    private readonly tokens: TokenService,
    private readonly logger: Logger,
  ) {}

  async login(em: EntityManager, emailIn: string, passwordIn: string): Promise<IssuedToken & { user: User }> {
    const user = await em.findOne(User, { email: emailIn.trim().toLowerCase() });
    const ok = await verify(user?.passwordHash ?? (await DUMMY_HASH), passwordIn).catch(() => false);
    if (!user || !ok || user.disabled) throw unauthenticated("Wrong email or password");
    return { ...(await this.tokens.issue(user)), user };
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
