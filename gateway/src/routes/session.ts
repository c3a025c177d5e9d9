import { serialize } from "cookie";
import { parse as parseCookies } from "cookie";
import { decodeJwt } from "jose";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { REFRESH_COOKIE, SESSION_COOKIE, SessionError, type Authenticator, type SessionTokens } from "../auth.js";

/** Refresh this long before the access token expires, so a request never arrives with one about to lapse. */
const REFRESH_AHEAD_MS = 60_000;

/**
 * Whether session cookies are `Secure` when ODS_COOKIE_SECURE is unset: yes, except when the public URL is plain
 * http on the machine itself (http://localhost, 127.0.0.1, [::1]), where browsers would drop Secure cookies.
 */
export function defaultSecureCookies(publicUrl: string): boolean {
  const url = new URL(publicUrl);
  return !(url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname));
}

/** The session cookie for an access token: HttpOnly (scripts cannot read it), SameSite=Lax, expiring with it. */
export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return serialize(SESSION_COOKIE, token, { httpOnly: true, sameSite: "lax", secure, path: "/", expires: expiresAt });
}

/**
 * Both cookies of a session. The access cookie is `SameSite=Lax`, so a link into the app from elsewhere arrives
 * signed in. The refresh cookie is `SameSite=Strict`: it mints new credentials, so no request started by another
 * site may carry it; the web app's own requests are same-site and always do.
 */
export function sessionCookies(tokens: SessionTokens, secure: boolean): string[] {
  const cookies = [sessionCookie(tokens.accessToken, new Date(tokens.expiresAt), secure)];
  if (tokens.refreshToken && tokens.refreshExpiresAt) {
    cookies.push(
      serialize(REFRESH_COOKIE, tokens.refreshToken, {
        httpOnly: true,
        sameSite: "strict",
        secure,
        path: "/",
        expires: new Date(tokens.refreshExpiresAt),
      }),
    );
  }
  return cookies;
}

export const clearSessionCookie = (secure: boolean) =>
  serialize(SESSION_COOKIE, "", { httpOnly: true, sameSite: "lax", secure, path: "/", maxAge: 0 });

export const clearSessionCookies = (secure: boolean) => [
  clearSessionCookie(secure),
  serialize(REFRESH_COOKIE, "", { httpOnly: true, sameSite: "strict", secure, path: "/", maxAge: 0 }),
];

function cookiesOf(req: Request): Record<string, string | undefined> {
  return typeof req.headers.cookie === "string" ? parseCookies(req.headers.cookie) : {};
}

function refuse(res: Response, err: unknown): void {
  const e =
    err instanceof SessionError
      ? err
      : new SessionError(500, "INTERNAL_SERVER_ERROR", "The sign-in failed unexpectedly");
  if (e.retryAfter) res.setHeader("retry-after", String(e.retryAfter));
  res
    .status(e.status)
    .json({ error: { code: e.code, message: e.message, ...(e.retryAfter ? { retryAfter: e.retryAfter } : {}) } });
}

/** The answer a browser gets: who signed in and until when, never the tokens (they are in the cookies). */
const browserJson = (t: SessionTokens) => ({
  user: t.user,
  expiresAt: t.expiresAt,
  refreshExpiresAt: t.refreshExpiresAt,
});

/**
 * Transparent refresh for browsers: a request without `Authorization` whose access cookie is missing or about to
 * expire, but which carries a refresh cookie, is refreshed before it is handled. The new cookies go out with the
 * response and the request continues with the new access token, so the web app never sees an expiry.
 *
 * @remarks Parallel requests with the same refresh cookie share one refresh ({@link Authenticator.refresh}); a
 * refresh that fails (the session ended) clears the cookies and lets the request go on as it came.
 */
export function sessionRefresher(options: { auth: Authenticator; secureCookies: boolean }) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (req.headers.authorization) return next();
    const cookies = cookiesOf(req);
    const refreshToken = cookies[REFRESH_COOKIE];
    if (!refreshToken || req.path.startsWith("/auth/")) return next();
    const access = cookies[SESSION_COOKIE];
    if (access && !expiresSoon(access)) return next();
    try {
      const tokens = await options.auth.refresh(refreshToken);
      for (const cookie of sessionCookies(tokens, options.secureCookies)) res.append("set-cookie", cookie);
      req.headers.cookie = `${SESSION_COOKIE}=${tokens.accessToken}`;
    } catch (err) {
      if (err instanceof SessionError && err.status === 401) {
        for (const cookie of clearSessionCookies(options.secureCookies)) res.append("set-cookie", cookie);
      }
    }
    next();
  };
}

function expiresSoon(token: string): boolean {
  try {
    const { exp } = decodeJwt(token);
    return !exp || exp * 1000 - Date.now() < REFRESH_AHEAD_MS;
  } catch {
    return false; // not a JWT: let authentication refuse it
  }
}

/**
 * Sessions over REST.
 *
 * - `POST /auth/login` `{ email, password }`: browsers; sets the access and refresh cookies.
 * - `POST /auth/token` `{ email, password }` or `{ refreshToken }`: programs; answers the tokens as JSON, no cookies.
 * - `POST /auth/refresh`: the refresh cookie (browsers, new cookies) or `{ refreshToken }` (programs, JSON).
 * - `POST /auth/logout` `{ everywhere?: true }`: ends this session (the refresh cookie or `refreshToken`), or every
 *   session of the signed-in user, and clears the cookies.
 *
 * All take JSON only, which a cross-site form cannot send. Lockouts answer 429 with `Retry-After`.
 */
export function sessionRoutes(options: { auth: Authenticator; secureCookies: boolean }): Router {
  const { auth, secureCookies } = options;
  const router = express.Router();
  router.use(express.json({ limit: "16kb", type: "application/json" }));
  const meta = (req: Request) => ({ ip: req.ip, userAgent: req.get("user-agent")?.slice(0, 300) });
  const body = (req: Request) => (req.body ?? {}) as Record<string, unknown>;

  const passwordLogin = async (req: Request, res: Response): Promise<SessionTokens | undefined> => {
    const { email, password } = body(req);
    if (!req.is("application/json") || typeof email !== "string" || typeof password !== "string") {
      res.status(400).json({ error: { code: "BAD_USER_INPUT", message: "Send JSON { email, password }" } });
      return undefined;
    }
    return auth.session("/internal/sessions/login", { email, password, ...meta(req) });
  };

  router.post("/login", async (req, res) => {
    try {
      const tokens = await passwordLogin(req, res);
      if (!tokens) return;
      res.setHeader("set-cookie", sessionCookies(tokens, secureCookies));
      res.json(browserJson(tokens));
    } catch (err) {
      refuse(res, err);
    }
  });

  router.post("/token", async (req, res) => {
    try {
      const { refreshToken } = body(req);
      const tokens =
        typeof refreshToken === "string" ? await auth.refresh(refreshToken) : await passwordLogin(req, res);
      if (tokens) res.json(tokens);
    } catch (err) {
      refuse(res, err);
    }
  });

  router.post("/refresh", async (req, res) => {
    const fromBody = body(req).refreshToken;
    const token = typeof fromBody === "string" ? fromBody : cookiesOf(req)[REFRESH_COOKIE];
    if (!token) {
      refuse(res, new SessionError(401, "UNAUTHENTICATED", "No refresh token: sign in again"));
      return;
    }
    try {
      const tokens = await auth.refresh(token);
      if (typeof fromBody === "string") {
        res.json(tokens);
        return;
      }
      res.setHeader("set-cookie", sessionCookies(tokens, secureCookies));
      res.json(browserJson(tokens));
    } catch (err) {
      if (typeof fromBody !== "string") res.setHeader("set-cookie", clearSessionCookies(secureCookies));
      refuse(res, err);
    }
  });

  router.post("/logout", async (req, res) => {
    const { refreshToken: fromBody, everywhere } = body(req);
    const refreshToken = typeof fromBody === "string" ? fromBody : cookiesOf(req)[REFRESH_COOKIE];
    let userId: string | undefined;
    if (everywhere === true) {
      try {
        userId = (await auth.authenticate(auth.credential(req.headers))).userId;
      } catch {
        // An expired access token: the refresh token still identifies the session to end everywhere from.
      }
      if (!userId && refreshToken) userId = (await auth.refresh(refreshToken).catch(() => undefined))?.user.id;
      if (!userId) {
        refuse(res, new SessionError(401, "UNAUTHENTICATED", "Sign in to sign out everywhere"));
        return;
      }
    }
    try {
      if (refreshToken || userId) await auth.session("/internal/sessions/logout", { refreshToken, everywhere, userId });
    } catch (err) {
      refuse(res, err);
      return;
    }
    res.setHeader("set-cookie", clearSessionCookies(secureCookies));
    res.json({ ok: true });
  });
  return router;
}
