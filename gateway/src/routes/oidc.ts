import type { Logger } from "@ods/kit";
import { parse as parseCookies, serialize } from "cookie";
import express, { type Request, type Response, type Router } from "express";
import { EncryptJWT, jwtDecrypt } from "jose";
import { createHash } from "node:crypto";
import * as client from "openid-client";
import type { Authenticator } from "../auth.js";
import type { GatewayConfig } from "../config.js";
import { sessionCookies } from "./session.js";

const STATE_COOKIE = "ods_oidc";
const STATE_TTL_SECONDS = 600;
type Role = "admin" | "editor" | "viewer";

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes: string;
  roleClaim: string;
  roleMap: Map<string, Role>;
  defaultRole: Role | "none";
  redirectUri: string;
  allowHttp: boolean;
}

/** The SSO settings from the configuration, or undefined when SSO is off (no issuer). */
export function oidcSettings(config: GatewayConfig): OidcSettings | undefined {
  if (!config.ODS_OIDC_ISSUER) return undefined;
  if (!config.ODS_OIDC_CLIENT_ID) throw new Error("ODS_OIDC_CLIENT_ID is required when ODS_OIDC_ISSUER is set");
  const issuer = new URL(config.ODS_OIDC_ISSUER);
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(issuer.hostname);
  return {
    issuer: config.ODS_OIDC_ISSUER,
    clientId: config.ODS_OIDC_CLIENT_ID,
    clientSecret: config.ODS_OIDC_CLIENT_SECRET,
    scopes: config.ODS_OIDC_SCOPES,
    roleClaim: config.ODS_OIDC_ROLE_CLAIM,
    roleMap: parseRoleMap(config.ODS_OIDC_ROLE_MAP),
    defaultRole: config.ODS_OIDC_DEFAULT_ROLE,
    redirectUri: config.ODS_OIDC_REDIRECT_URI ?? new URL("/auth/oidc/callback", config.ODS_PUBLIC_URL).href,
    allowHttp: config.ODS_OIDC_ALLOW_HTTP || loopback,
  };
}

/** `ods-admins:admin,ods-editors:editor` → Map; the last colon splits, so values may contain colons. */
export function parseRoleMap(text: string): Map<string, Role> {
  const map = new Map<string, Role>();
  for (const pair of text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.lastIndexOf(":");
    map.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim() as Role);
  }
  return map;
}

/**
 * The platform roles for a set of claims: every mapped value of the role claim (a list, or a string of values
 * separated by spaces or commas), matched as given and without a leading `/` (Keycloak's full group paths).
 * None mapped: the default role, or none at all when the default is `none`.
 */
export function mapRoles(
  claims: Record<string, unknown>,
  settings: Pick<OidcSettings, "roleClaim" | "roleMap" | "defaultRole">,
): Role[] {
  let value: unknown = claims;
  for (const part of settings.roleClaim.split(".")) value = (value as Record<string, unknown> | undefined)?.[part];
  const values = Array.isArray(value) ? value.map(String) : typeof value === "string" ? value.split(/[\s,]+/) : [];
  const roles = new Set<Role>();
  for (const v of values) {
    const role = settings.roleMap.get(v) ?? settings.roleMap.get(v.replace(/^\//, ""));
    if (role) roles.add(role);
  }
  if (!roles.size && settings.defaultRole !== "none") roles.add(settings.defaultRole);
  return [...roles];
}

/** Only a path on this site may be returned to after sign-in (no open redirect to `//evil.example`). */
function safeReturnTo(value: unknown): string {
  return typeof value === "string" && /^\/(?![/\\])/.test(value) ? value : "/";
}

/**
 * Single sign-on with OpenID Connect: the authorization code flow with PKCE, through `openid-client`.
 *
 * - `GET /auth/oidc/login?returnTo=/path` sends the browser to the provider, with a PKCE challenge, a state and a
 *   nonce. Their secrets travel in a short-lived encrypted HttpOnly cookie, not in server memory, so any replica
 *   can finish the sign-in.
 * - `GET /auth/oidc/callback` checks the state, trades the code (with the PKCE verifier) for tokens, checks the
 *   ID token (signature, issuer, audience, nonce), reads the role claim, has identity find or create the user by
 *   issuer and subject, sets the session cookies and redirects to `returnTo`. A failure redirects to
 *   `/login?error=sso`, the reason in the gateway's log.
 *
 * @remarks The provider's metadata is discovered on first use and kept; a failed discovery is retried on the next
 * sign-in, so the gateway starts even when the provider is down.
 */
export function oidcRoutes(options: {
  settings: OidcSettings;
  auth: Authenticator;
  internalSecret: string;
  secureCookies: boolean;
  logger: Logger;
}): Router {
  const { settings, logger } = options;
  const key = createHash("sha256").update(`${options.internalSecret}:oidc-state`).digest();
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = () => {
    discovered ??= client
      .discovery(
        new URL(settings.issuer),
        settings.clientId,
        undefined,
        settings.clientSecret ? client.ClientSecretBasic(settings.clientSecret) : client.None(),
        settings.allowHttp ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        discovered = undefined;
        throw err;
      });
    return discovered;
  };
  const stateCookie = (value: string, maxAge: number) =>
    serialize(STATE_COOKIE, value, {
      httpOnly: true,
      // Lax, not Strict: the provider's redirect back is a cross-site top-level GET, which must carry it.
      sameSite: "lax",
      secure: options.secureCookies,
      path: "/auth/oidc",
      maxAge,
    });
  const fail = (res: Response, reason: string, err?: unknown) => {
    logger.warn({ err, reason }, "single sign-on failed");
    res.setHeader("set-cookie", stateCookie("", 0));
    res.redirect(303, "/login?error=sso");
  };

  const router = express.Router();
  router.get("/login", async (req: Request, res: Response) => {
    let config: client.Configuration;
    try {
      config = await configuration();
    } catch (err) {
      fail(res, "the OpenID provider could not be reached", err);
      return;
    }
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const sealed = await new EncryptJWT({ verifier, state, nonce, returnTo: safeReturnTo(req.query.returnTo) })
      .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
      .setIssuedAt()
      .setExpirationTime(`${STATE_TTL_SECONDS}s`)
      .encrypt(key);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: settings.redirectUri,
      scope: settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    res.setHeader("set-cookie", stateCookie(sealed, STATE_TTL_SECONDS));
    res.setHeader("cache-control", "no-store");
    res.redirect(303, url.href);
  });

  router.get("/callback", async (req: Request, res: Response) => {
    const sealed = typeof req.headers.cookie === "string" ? parseCookies(req.headers.cookie)[STATE_COOKIE] : undefined;
    if (!sealed) return fail(res, "no sign-in in progress (the state cookie is missing or expired)");
    let pending: { verifier: string; state: string; nonce: string; returnTo: string };
    try {
      pending = (await jwtDecrypt(sealed, key)).payload as typeof pending;
    } catch (err) {
      return fail(res, "the state cookie is invalid", err);
    }
    let claims: Record<string, unknown>;
    try {
      const config = await configuration();
      // The provider redirected to the registered URI: the code and state are in this request's query.
      const currentUrl = new URL(settings.redirectUri);
      currentUrl.search = new URLSearchParams(req.query as Record<string, string>).toString();
      const tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = { ...tokens.claims() };
      if (!hasClaim(claims, settings.roleClaim) && config.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
        claims = { ...info, ...claims };
      }
    } catch (err) {
      return fail(res, "the provider's answer was refused", err);
    }
    const roles = mapRoles(claims, settings);
    if (!roles.length) return fail(res, `no role is mapped for this user (claim ${settings.roleClaim})`);
    try {
      const tokens = await options.auth.session("/internal/sessions/oidc", {
        issuer: claims.iss,
        subject: claims.sub,
        email: typeof claims.email === "string" ? claims.email : undefined,
        name:
          typeof claims.name === "string"
            ? claims.name
            : typeof claims.preferred_username === "string"
              ? claims.preferred_username
              : undefined,
        roles,
        ip: req.ip,
        userAgent: req.get("user-agent")?.slice(0, 300),
      });
      res.setHeader("set-cookie", [stateCookie("", 0), ...sessionCookies(tokens, options.secureCookies)]);
      res.redirect(303, pending.returnTo);
    } catch (err) {
      fail(res, "identity refused the user", err);
    }
  });
  return router;
}

function hasClaim(claims: Record<string, unknown>, path: string): boolean {
  let value: unknown = claims;
  for (const part of path.split(".")) value = (value as Record<string, unknown> | undefined)?.[part];
  return value !== undefined;
}
