import type { MikroORM } from "@mikro-orm/core";
import { AppError, ErrorCode, INTERNAL_TOKEN_HEADER, verifyInternalToken, type Logger } from "@ods/kit";
import express, { type Express, type Request, type Response } from "express";
import { mountAuditRoutes } from "./audit-routes.js";
import type { IdentityServices } from "./services/index.js";
import type { SessionTokens } from "./services/session-service.js";

/** HTTP status for each expected failure a session route can answer with. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
};

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** The JSON a session route answers with: the tokens and the user, dates as ISO strings. */
function sessionJson(tokens: SessionTokens) {
  return {
    accessToken: tokens.accessToken,
    expiresAt: tokens.expiresAt.toISOString(),
    refreshToken: tokens.refreshToken,
    refreshExpiresAt: tokens.refreshExpiresAt?.toISOString(),
    sessionId: tokens.sessionId,
    user: { id: tokens.user.id, email: tokens.user.email, name: tokens.user.name, roles: tokens.user.roles },
  };
}

/**
 * REST routes beside GraphQL: the public JWKS the gateway verifies access tokens with, and the internal routes
 * the gateway calls with its internal token: API-key checks, browser and program sessions (which carry the
 * client's address for the login lockout, something a GraphQL call through the gateway does not), and the
 * revocation list.
 */
export function mountRoutes(
  app: Express,
  deps: { orm: MikroORM; services: IdentityServices; internalSecret: string; logger?: Logger },
): void {
  const { services } = deps;
  mountAuditRoutes(app, deps);
  app.get("/.well-known/jwks.json", async (_req, res) => {
    await services.tokens.sync(deps.orm.em.fork()).catch(() => undefined);
    // Short: after a rotation the gateway refetches on the unknown `kid` anyway; caches in between should not lag.
    res.setHeader("cache-control", "public, max-age=60");
    res.json(services.tokens.jwks());
  });

  const internal = express.Router();
  internal.use(async (req, res, next) => {
    try {
      await verifyInternalToken(deps.internalSecret, req.header(INTERNAL_TOKEN_HEADER));
      next();
    } catch {
      res.status(401).json({ error: "internal token required" });
    }
  });
  internal.use(express.json({ limit: "16kb" }));

  /** Runs a handler, answering expected failures as `{ error: { code, message, retryAfter? } }` with a status. */
  const handle =
    (fn: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await fn(req, res);
      } catch (err) {
        if (err instanceof AppError && STATUS[err.code]) {
          const retryAfter = err.extensions.retryAfter as number | undefined;
          if (retryAfter) res.setHeader("retry-after", String(retryAfter));
          res.status(STATUS[err.code]!).json({ error: { code: err.code, message: err.message, retryAfter } });
          return;
        }
        deps.logger?.error({ err }, "session route failed");
        res.status(500).json({ error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: "Internal server error" } });
      }
    };

  internal.post("/api-keys/verify", async (req, res) => {
    const key = (req.body as { key?: unknown } | undefined)?.key;
    if (typeof key !== "string") {
      res.status(400).json({ error: "key is required" });
      return;
    }
    const verified = await services.apiKeys.verify(deps.orm.em.fork(), key).catch(() => undefined);
    res.status(verified ? 200 : 404).json(verified ?? { error: "unknown, expired or revoked API key" });
  });

  internal.post(
    "/sessions/login",
    handle(async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const { email, password } = body;
      if (typeof email !== "string" || typeof password !== "string")
        throw new AppError(ErrorCode.BAD_USER_INPUT, "Send { email, password }");
      const meta = { ip: str(body.ip), userAgent: str(body.userAgent) };
      res.json(sessionJson(await services.users.login(deps.orm.em.fork(), email, password, meta)));
    }),
  );
  internal.post(
    "/sessions/refresh",
    handle(async (req, res) => {
      const token = str((req.body as Record<string, unknown> | undefined)?.refreshToken);
      if (!token) throw new AppError(ErrorCode.UNAUTHENTICATED, "No refresh token: sign in again");
      res.json(sessionJson(await services.sessions.refresh(deps.orm.em.fork(), token)));
    }),
  );
  internal.post(
    "/sessions/logout",
    handle(async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const em = deps.orm.em.fork();
      const token = str(body.refreshToken);
      if (token) await services.sessions.logout(em, token);
      const userId = str(body.userId);
      const ended = body.everywhere === true && userId ? await services.sessions.logoutEverywhere(em, userId) : 0;
      services.audit.record({
        action: "auth.logout",
        actorId: userId,
        actorType: userId ? "user" : "anonymous",
        ip: str(body.ip),
        details: { everywhere: body.everywhere === true, ended },
      });
      res.json({ ok: true, ended });
    }),
  );
  internal.post(
    "/sessions/oidc",
    handle(async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const tokens = await services.users.loginWithOidc(
        deps.orm.em.fork(),
        {
          issuer: str(body.issuer) ?? "",
          subject: str(body.subject) ?? "",
          email: str(body.email),
          name: str(body.name),
          roles: Array.isArray(body.roles) ? (body.roles as never[]) : [],
        },
        { ip: str(body.ip), userAgent: str(body.userAgent) },
      );
      res.json(sessionJson(tokens));
    }),
  );
  // Other subgraphs name people by id or email when sharing a resource: which of them exist (and are enabled).
  internal.post(
    "/users/lookup",
    handle(async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const list = (v: unknown) =>
        Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x.length <= 320).slice(0, 100) : [];
      const users = await services.users.lookup(deps.orm.em.fork(), { ids: list(body.ids), emails: list(body.emails) });
      res.json({ users: users.map((u) => ({ id: u.id, email: u.email, name: u.name, disabled: u.disabled })) });
    }),
  );
  internal.get(
    "/revocations",
    handle(async (_req, res) => {
      res.setHeader("cache-control", "no-store");
      res.json(await services.sessions.revocations(deps.orm.em.fork()));
    }),
  );
  app.use("/internal", internal);
}
