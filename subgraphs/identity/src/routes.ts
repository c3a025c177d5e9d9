import type { MikroORM } from "@mikro-orm/core";
import { INTERNAL_TOKEN_HEADER, verifyInternalToken } from "@ods/kit";
import express, { type Express } from "express";
import type { IdentityServices } from "./services/index.js";

/**
 * REST routes beside GraphQL: the public JWKS the gateway verifies access tokens with, and the internal
 * API-key check the gateway calls (with its internal token) when a request presents an API key.
 */
export function mountRoutes(
  app: Express,
  deps: { orm: MikroORM; services: IdentityServices; internalSecret: string },
): void {
  app.get("/.well-known/jwks.json", (_req, res) => {
    res.setHeader("cache-control", "public, max-age=300");
    res.json(deps.services.tokens.jwks());
  });
  app.post("/internal/api-keys/verify", express.json({ limit: "4kb" }), async (req, res) => {
    try {
      await verifyInternalToken(deps.internalSecret, req.header(INTERNAL_TOKEN_HEADER));
    } catch {
      res.status(401).json({ error: "internal token required" });
      return;
    }
    const key = (req.body as { key?: unknown } | undefined)?.key;
    if (typeof key !== "string") {
      res.status(400).json({ error: "key is required" });
      return;
    }
    const caller = await deps.services.apiKeys.verify(deps.orm.em.fork(), key).catch(() => undefined);
    res.status(caller ? 200 : 404).json(caller ? { caller } : { error: "unknown or revoked API key" });
  });
}
