import { INTERNAL_TOKEN_HEADER, signInternalToken } from "@ods/kit";
import { serialize } from "cookie";
import express, { type Router } from "express";
import { SESSION_COOKIE } from "../auth.js";

/** The session cookie for an access token: HttpOnly (scripts cannot read it), SameSite=Lax, expiring with it. */
export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return serialize(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    secure,
    path: "/",
    expires: expiresAt,
  });
}

export const clearSessionCookie = (secure: boolean) =>
  serialize(SESSION_COOKIE, "", { httpOnly: true, sameSite: "lax", secure, path: "/", maxAge: 0 });

/**
 * Browser sessions: `POST /auth/login` with `{ email, password }` signs in through identity's `login` and sets
 * the HttpOnly cookie; `POST /auth/logout` clears it. JSON only, which a cross-site form cannot send.
 */
export function sessionRoutes(options: {
  identityUrl: string;
  internalSecret: string;
  secureCookies: boolean;
}): Router {
  const router = express.Router();
  router.use(express.json({ limit: "16kb", type: "application/json" }));
  router.post("/login", async (req, res) => {
    const body = req.body as { email?: unknown; password?: unknown } | undefined;
    if (!req.is("application/json") || typeof body?.email !== "string" || typeof body.password !== "string") {
      res.status(400).json({ error: { code: "BAD_USER_INPUT", message: "Send JSON { email, password }" } });
      return;
    }
    const upstream = await fetch(`${options.identityUrl}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [INTERNAL_TOKEN_HEADER]: await signInternalToken(options.internalSecret, { roles: [] }),
      },
      body: JSON.stringify({
        query:
          "mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken expiresAt user { id email name roles } } }",
        variables: { email: body.email, password: body.password },
      }),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    if (!upstream) {
      res.status(503).json({ error: { code: "UPSTREAM_UNAVAILABLE", message: "The identity service did not answer" } });
      return;
    }
    const result = (await upstream.json()) as {
      data?: { login?: { accessToken: string; expiresAt: string; user: unknown } };
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    const login = result.data?.login;
    if (!login) {
      const error = result.errors?.[0];
      res.status(error?.extensions?.code === "UNAUTHENTICATED" ? 401 : 400).json({
        error: { code: error?.extensions?.code ?? "INTERNAL_SERVER_ERROR", message: error?.message ?? "Login failed" },
      });
      return;
    }
    res.setHeader("set-cookie", sessionCookie(login.accessToken, new Date(login.expiresAt), options.secureCookies));
    res.json({ user: login.user, expiresAt: login.expiresAt });
  });
  router.post("/logout", (_req, res) => {
    res.setHeader("set-cookie", clearSessionCookie(options.secureCookies));
    res.json({ ok: true });
  });
  return router;
}
