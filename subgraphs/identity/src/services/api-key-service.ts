import type { EntityManager } from "@mikro-orm/core";
import { badInput, notFound, parseInput, type Caller, type Role } from "@ods/kit";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { ApiKey, User } from "../entities/index.js";
import { sha256 } from "./user-service.js";

const createInput = z.object({
  name: z.string().trim().min(1, "must not be empty").max(200),
  scopes: z.array(z.string().min(1)).default([]),
});

/** API keys look like `ods_<prefix>_<secret>`; the prefix finds the row, the secret is compared by hash. */
export class ApiKeyService {
  async create(em: EntityManager, userId: string, input: { name: string; scopes?: string[] | null }) {
    const data = parseInput(createInput, { ...input, scopes: input.scopes ?? undefined });
    const prefix = randomBytes(6).toString("hex");
    const secret = randomBytes(24).toString("base64url");
    const apiKey = em.create(ApiKey, {
      name: data.name,
      userId,
      prefix,
      secretHash: sha256(secret),
      scopes: data.scopes,
    });
    await em.persistAndFlush(apiKey);
    return { apiKey, secret: `ods_${prefix}_${secret}` };
  }

  async list(em: EntityManager, userId: string): Promise<ApiKey[]> {
    return em.find(ApiKey, { userId }, { orderBy: { createdAt: "desc" } });
  }

  async revoke(em: EntityManager, caller: Caller, id: string): Promise<ApiKey> {
    const key = await em.findOne(ApiKey, { id });
    if (!key || (key.userId !== caller.userId && !caller.roles.includes("admin"))) throw notFound("API key", id);
    key.revokedAt ??= new Date();
    await em.flush();
    return key;
  }

  /** Resolves a presented key to its owner, or undefined when it is unknown, revoked, or its user is disabled. */
  async verify(em: EntityManager, presented: string): Promise<Caller | undefined> {
    const match = /^ods_([0-9a-f]{12})_([\w-]{20,})$/.exec(presented);
    if (!match) throw badInput("Not an API key");
    const key = await em.findOne(ApiKey, { prefix: match[1]!, revokedAt: null });
    if (!key) return undefined;
    const a = Buffer.from(sha256(match[2]!));
    const b = Buffer.from(key.secretHash);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    const user = await em.findOne(User, { id: key.userId });
    if (!user || user.disabled) return undefined;
    key.lastUsedAt = new Date();
    await em.flush();
    return { userId: user.id, email: user.email, roles: user.roles as Role[], apiKeyId: key.id };
  }
}
