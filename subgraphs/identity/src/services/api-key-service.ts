import type { EntityManager } from "@mikro-orm/core";
import { badInput, notFound, parseInput, type Caller, type Role, isAdmin } from "@ods/kit";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { ApiKey, ApiKeyScope, User } from "../entities/index.js";
import { sha256 } from "./user-service.js";

/** What a key gets when its creator names no scopes: everything but admin rights, as keys had before scopes. */
export const DEFAULT_SCOPES = [ApiKeyScope.READ, ApiKeyScope.WRITE];
/** `lastUsedAt` is written at most this often per key: a busy key must not cost a write per request. */
const LAST_USED_EVERY_MS = 60_000;

const createInput = z.object({
  name: z.string().trim().min(1, "must not be empty").max(200),
  scopes: z.array(z.enum(ApiKeyScope)).min(1, "must name at least one scope").default(DEFAULT_SCOPES),
  expiresAt: z
    .date()
    .refine((d) => d.getTime() > Date.now(), "must be in the future")
    .optional(),
});

/** A verified key: its owner as a caller (roles narrowed by the scopes) and its scopes for the gateway to enforce. */
export interface VerifiedKey {
  caller: Caller;
  scopes: ApiKeyScope[];
  expiresAt?: string;
}

/** API keys look like `ods_<prefix>_<secret>`; the prefix finds the row, the secret is compared by hash. */
export class ApiKeyService {
  async create(
    em: EntityManager,
    userId: string,
    input: { name: string; scopes?: ApiKeyScope[] | null; expiresAt?: Date | null },
  ) {
    const data = parseInput(createInput, {
      ...input,
      scopes: input.scopes ?? undefined,
      expiresAt: input.expiresAt ?? undefined,
    });
    const prefix = randomBytes(6).toString("hex");
    const secret = randomBytes(24).toString("base64url");
    const apiKey = em.create(ApiKey, {
      name: data.name,
      userId,
      prefix,
      secretHash: sha256(secret),
      scopes: [...new Set(data.scopes)],
      expiresAt: data.expiresAt ?? null,
    });
    await em.persistAndFlush(apiKey);
    return { apiKey, secret: `ods_${prefix}_${secret}` };
  }

  /**
   * The caller's keys; admins may name another user, or ask for every user's keys. Another user's keys are
   * NOT_FOUND to non-admins, so user ids cannot be probed.
   */
  async list(em: EntityManager, caller: Caller, options: { userId?: string | null; allUsers?: boolean | null } = {}) {
    if (options.allUsers) {
      if (!isAdmin(caller)) throw notFound("User", "*");
      return em.find(ApiKey, {}, { orderBy: { createdAt: "desc", id: "asc" } });
    }
    const owner = options.userId ?? caller.userId!;
    if (owner !== caller.userId && !isAdmin(caller)) throw notFound("User", owner);
    return em.find(ApiKey, { userId: owner }, { orderBy: { createdAt: "desc", id: "asc" } });
  }

  async revoke(em: EntityManager, caller: Caller, id: string): Promise<ApiKey> {
    const key = await em.findOne(ApiKey, { id });
    if (!key || (key.userId !== caller.userId && !isAdmin(caller))) throw notFound("API key", id);
    key.revokedAt ??= new Date();
    await em.flush();
    return key;
  }

  /**
   * Resolves a presented key to its owner and scopes, or undefined when it is unknown, revoked, expired, or its
   * user is disabled. The caller's roles are the owner's, without `admin` unless the key has the ADMIN scope
   * (an admin's key without it acts as an editor).
   */
  async verify(em: EntityManager, presented: string): Promise<VerifiedKey | undefined> {
    const match = /^ods_([0-9a-f]{12})_([\w-]{20,})$/.exec(presented);
    if (!match) throw badInput("Not an API key");
    const key = await em.findOne(ApiKey, { prefix: match[1]!, revokedAt: null });
    if (!key) return undefined;
    const a = Buffer.from(sha256(match[2]!));
    const b = Buffer.from(key.secretHash);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    const now = new Date();
    if (key.expiresAt && key.expiresAt <= now) return undefined;
    const user = await em.findOne(User, { id: key.userId });
    if (!user || user.disabled) return undefined;
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_EVERY_MS) {
      key.lastUsedAt = now;
      await em.flush();
    }
    const scopes = key.scopes.length ? key.scopes : DEFAULT_SCOPES;
    let roles = user.roles as Role[];
    if (!scopes.includes(ApiKeyScope.ADMIN) && roles.includes("admin")) {
      roles = [...new Set(roles.map((r): Role => (r === "admin" ? "editor" : r)))];
    }
    return {
      caller: { userId: user.id, email: user.email, roles, apiKeyId: key.id },
      scopes,
      expiresAt: key.expiresAt?.toISOString(),
    };
  }
}
