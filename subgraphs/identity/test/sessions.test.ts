// The identity rules a user (or an attacker) would notice: refresh rotation and reuse, login lockout, API key
// scopes and expiry, signing key rotation, admin actions. Services run on a real SQLite database; the GraphQL
// checks go through the subgraph over HTTP with the gateway's internal token.
import {
  createLogger,
  openDatabase,
  signInternalToken,
  startSubgraph,
  type Caller,
  type RunningSubgraph,
} from "@ods/kit";
import type { MikroORM } from "@mikro-orm/core";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ApiKeyScope, Session, UserRole } from "../src/entities/index.js";
import { migrations } from "../src/migrations/index.js";
import { mountRoutes } from "../src/routes.js";
import { entities, schemaOptions } from "../src/schema.js";
import { createIdentityServices, type IdentityServices } from "../src/services/index.js";

const secret = "identity-sessions-test-secret-0123456789";
const password = "correct horse battery";
let dir: string;
let orm: MikroORM;
let services: IdentityServices;
let subgraph: RunningSubgraph;
const em = () => orm.em.fork();

/** Codes of a rejected promise, for `expect(...).rejects`. */
const code = (c: string) => expect.objectContaining({ extensions: expect.objectContaining({ code: c }) });

async function gql(query: string, variables: Record<string, unknown>, caller: Caller) {
  const res = await fetch(subgraph.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-ods-internal-token": await signInternalToken(secret, caller) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: Record<string, any>; errors?: { extensions: { code: string } }[] };
}

let counter = 0;
async function newUser(roles = [UserRole.EDITOR]) {
  const email = `user${++counter}-${Date.now()}@example.com`;
  const user = await services.users.create(em(), { email, name: "U", password, roles });
  const caller: Caller = { userId: user.id, email, roles: roles as Caller["roles"] };
  return { user, email, caller };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ods-identity-sessions-"));
  orm = await openDatabase({ name: "identity", dataDir: dir, entities, migrations });
  const logger = createLogger("identity-test", "silent");
  services = createIdentityServices({
    secret,
    accessTtlSeconds: 900,
    session: { refreshTtlSeconds: 3600, reuseGraceSeconds: 0 },
    throttle: { maxFailures: 5, ipMaxFailures: 8, baseSeconds: 1, maxSeconds: 4 },
    logger,
  });
  await services.tokens.init(em());
  subgraph = await startSubgraph({
    ...schemaOptions,
    name: "identity",
    port: 0,
    internalSecret: secret,
    orm,
    logger,
    services,
    routes: (app) => mountRoutes(app, { orm, services, internalSecret: secret }),
  });
});

afterAll(async () => {
  await subgraph?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("refresh tokens", () => {
  it("rotate: each refresh issues a new pair and the new refresh token works", async () => {
    const { email } = await newUser();
    const first = await services.users.login(em(), email, password);
    expect(first.refreshToken).toMatch(/^odsr_/);
    const second = await services.sessions.refresh(em(), first.refreshToken!);
    expect(second.refreshToken).toBeTruthy();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.sessionId).toBe(first.sessionId);
    const third = await services.sessions.refresh(em(), second.refreshToken!);
    expect(third.sessionId).toBe(first.sessionId);
  });

  it("reuse of a retired refresh token revokes the whole family, the newest token included", async () => {
    const { email } = await newUser();
    const first = await services.users.login(em(), email, password);
    const second = await services.sessions.refresh(em(), first.refreshToken!);
    await expect(services.sessions.refresh(em(), first.refreshToken!)).rejects.toThrow(/already used/);
    await expect(services.sessions.refresh(em(), second.refreshToken!)).rejects.toEqual(code("UNAUTHENTICATED"));
    const session = await em().findOneOrFail(Session, { id: first.sessionId });
    expect(session.revokedReason).toBe("reuse");
    expect((await services.sessions.revocations(em())).sessions).toContain(first.sessionId);
    // Another session of the same user is untouched.
    const other = await services.users.login(em(), email, password);
    await expect(services.sessions.refresh(em(), other.refreshToken!)).resolves.toBeTruthy();
  });

  it("within the grace window a retired token gets an access token only, and ends nothing", async () => {
    const { SessionService } = await import("../src/services/session-service.js");
    const lenient = new SessionService(services.tokens, { refreshTtlSeconds: 3600, reuseGraceSeconds: 30 });
    const { email } = await newUser();
    const first = await services.users.login(em(), email, password);
    const second = await lenient.refresh(em(), first.refreshToken!);
    const raced = await lenient.refresh(em(), first.refreshToken!);
    expect(raced.accessToken).toBeTruthy();
    expect(raced.refreshToken).toBeUndefined();
    await expect(lenient.refresh(em(), second.refreshToken!)).resolves.toBeTruthy();
  });

  it("logout ends this session; logout everywhere ends all of the user's sessions", async () => {
    const { email, user } = await newUser();
    const a = await services.users.login(em(), email, password);
    const b = await services.users.login(em(), email, password);
    const c = await services.users.login(em(), email, password);
    await services.sessions.logout(em(), a.refreshToken!);
    await expect(services.sessions.refresh(em(), a.refreshToken!)).rejects.toEqual(code("UNAUTHENTICATED"));
    await expect(services.sessions.refresh(em(), b.refreshToken!)).resolves.toBeTruthy();
    expect(await services.sessions.logoutEverywhere(em(), user.id)).toBe(2);
    await expect(services.sessions.refresh(em(), c.refreshToken!)).rejects.toEqual(code("UNAUTHENTICATED"));
  });

  it("an expired refresh token is refused", async () => {
    const { email } = await newUser();
    const s = await services.users.login(em(), email, password);
    await em().nativeUpdate(Session, { id: s.sessionId }, { expiresAt: new Date(Date.now() - 1000) });
    const { RefreshToken } = await import("../src/entities/index.js");
    await em().nativeUpdate(RefreshToken, { sessionId: s.sessionId }, { expiresAt: new Date(Date.now() - 1000) });
    await expect(services.sessions.refresh(em(), s.refreshToken!)).rejects.toEqual(code("UNAUTHENTICATED"));
  });
});

describe("login lockout", () => {
  it("locks an account after 5 failures, with the same answer for unknown accounts, and backs off", async () => {
    const { email } = await newUser();
    const unknown = `nobody-${Date.now()}@example.com`;
    for (const who of [email, unknown]) {
      for (let i = 0; i < 5; i++) {
        await expect(services.users.login(em(), who, "wrong password")).rejects.toEqual(code("UNAUTHENTICATED"));
      }
    }
    const locked = await services.users.login(em(), email, password).catch((e: unknown) => e as any);
    const lockedUnknown = await services.users.login(em(), unknown, password).catch((e: unknown) => e as any);
    // Even the right password is refused while locked; real and unknown accounts look alike.
    expect(locked.extensions).toEqual({ code: "RATE_LIMITED", retryAfter: 1 });
    expect(lockedUnknown.extensions).toEqual(locked.extensions);
    expect(lockedUnknown.message).toBe(locked.message);
    await new Promise((r) => setTimeout(r, 1_100));
    // Past the limit every failure doubles the lock: 1 s, then 2 s.
    await expect(services.users.login(em(), email, "wrong again")).rejects.toEqual(code("UNAUTHENTICATED"));
    const longer = await services.users.login(em(), email, password).catch((e: unknown) => e as any);
    expect(longer.extensions).toEqual({ code: "RATE_LIMITED", retryAfter: 2 });
    await new Promise((r) => setTimeout(r, 2_100));
    // A success clears the count.
    await expect(services.users.login(em(), email, password)).resolves.toMatchObject({ user: { email } });
    await expect(services.users.login(em(), email, "wrong")).rejects.toEqual(code("UNAUTHENTICATED"));
    await expect(services.users.login(em(), email, password)).resolves.toBeTruthy();
  });

  it("locks a client address after too many failures across accounts", async () => {
    const { email } = await newUser();
    const ip = "203.0.113.9";
    for (let i = 0; i < 8; i++) {
      await expect(services.users.login(em(), `guess${i}@example.com`, "wrong", { ip })).rejects.toEqual(
        code("UNAUTHENTICATED"),
      );
    }
    await expect(services.users.login(em(), email, password, { ip })).rejects.toEqual(code("RATE_LIMITED"));
    await expect(services.users.login(em(), email, password, { ip: "203.0.113.10" })).resolves.toBeTruthy();
  });

  it("takes about as long for an unknown email as for a wrong password", async () => {
    const { email } = await newUser();
    const time = async (who: string) => {
      const t = performance.now();
      await services.users.login(em(), who, "wrong", { ip: `198.51.100.${counter}` }).catch(() => undefined);
      return performance.now() - t;
    };
    const known = Math.min(await time(email), await time(email));
    const unknown = Math.min(await time("ghost@example.com"), await time("ghost2@example.com"));
    // Both verify one argon2 hash; without the dummy hash the unknown email would answer in well under 1 ms.
    expect(unknown).toBeGreaterThan(known / 3);
    expect(known).toBeGreaterThan(unknown / 3);
  });
});

describe("API keys", () => {
  const verify = (key: string) => services.apiKeys.verify(em(), key);

  it("default to READ and WRITE; an admin's key acts as an editor unless it has the ADMIN scope", async () => {
    const { user } = await newUser([UserRole.ADMIN]);
    const plain = await services.apiKeys.create(em(), user.id, { name: "plain" });
    expect(plain.apiKey.scopes).toEqual([ApiKeyScope.READ, ApiKeyScope.WRITE]);
    expect((await verify(plain.secret))?.caller.roles).toEqual(["editor"]);
    const admin = await services.apiKeys.create(em(), user.id, { name: "admin", scopes: [ApiKeyScope.ADMIN] });
    expect(await verify(admin.secret)).toMatchObject({ caller: { roles: ["admin"] }, scopes: ["ADMIN"] });
    const model = await services.apiKeys.create(em(), user.id, { name: "m", scopes: [ApiKeyScope.MODEL_API] });
    expect((await verify(model.secret))?.scopes).toEqual(["MODEL_API"]);
  });

  it("are hashed at rest and stop working when they expire", async () => {
    const { user } = await newUser();
    await expect(
      services.apiKeys.create(em(), user.id, { name: "past", expiresAt: new Date(Date.now() - 1000) }),
    ).rejects.toEqual(code("BAD_USER_INPUT"));
    const soon = await services.apiKeys.create(em(), user.id, { name: "soon", expiresAt: new Date(Date.now() + 800) });
    const row = await em().findOneOrFail(ApiKey, { id: soon.apiKey.id });
    // The secret is base64url, so it may itself hold "_" (even start with one): take all of it after the prefix.
    const secretPart = /^ods_[0-9a-f]{12}_(.+)$/.exec(soon.secret)![1]!;
    expect(row.secretHash).not.toContain(secretPart);
    expect(await verify(soon.secret)).toBeTruthy();
    await new Promise((r) => setTimeout(r, 900));
    expect(await verify(soon.secret)).toBeUndefined();
  });

  it("record the last use at most once a minute", async () => {
    const { user } = await newUser();
    const key = await services.apiKeys.create(em(), user.id, { name: "busy" });
    await verify(key.secret);
    const first = (await em().findOneOrFail(ApiKey, { id: key.apiKey.id })).lastUsedAt!;
    expect(first).toBeInstanceOf(Date);
    await new Promise((r) => setTimeout(r, 20));
    await verify(key.secret);
    expect((await em().findOneOrFail(ApiKey, { id: key.apiKey.id })).lastUsedAt).toEqual(first);
    const longAgo = new Date(Date.now() - 61_000);
    await em().nativeUpdate(ApiKey, { id: key.apiKey.id }, { lastUsedAt: longAgo });
    await verify(key.secret);
    expect((await em().findOneOrFail(ApiKey, { id: key.apiKey.id })).lastUsedAt!.getTime()).toBeGreaterThan(
      longAgo.getTime() + 60_000,
    );
  });

  it("are listed and revoked by their owner; others' keys are NOT_FOUND to non-admins, visible to admins", async () => {
    const owner = await newUser();
    const stranger = await newUser();
    const admin = await newUser([UserRole.ADMIN]);
    const key = await services.apiKeys.create(em(), owner.user.id, { name: "mine", scopes: [ApiKeyScope.READ] });
    const list = "query($u: ID, $all: Boolean) { apiKeys(userId: $u, allUsers: $all) { id scopes userId } }";
    expect((await gql(list, {}, owner.caller)).data?.apiKeys).toEqual([
      { id: key.apiKey.id, scopes: ["READ"], userId: owner.user.id },
    ]);
    expect((await gql(list, { u: owner.user.id }, stranger.caller)).errors?.[0]?.extensions.code).toBe("NOT_FOUND");
    expect((await gql(list, { all: true }, stranger.caller)).errors?.[0]?.extensions.code).toBe("NOT_FOUND");
    const all = (await gql(list, { all: true }, admin.caller)).data?.apiKeys as { id: string }[];
    expect(all.map((k) => k.id)).toContain(key.apiKey.id);
    const revoke = "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }";
    expect((await gql(revoke, { id: key.apiKey.id }, stranger.caller)).errors?.[0]?.extensions.code).toBe("NOT_FOUND");
    expect((await gql(revoke, { id: key.apiKey.id }, admin.caller)).data?.revokeApiKey.revokedAt).toBeTruthy();
    expect(await verify(key.secret)).toBeUndefined();
  });
});

describe("signing key rotation", () => {
  it("signs with the new key and keeps the old one in the JWKS, so tokens issued before still verify", async () => {
    const { email } = await newUser();
    const before = await services.users.login(em(), email, password);
    const admin = await newUser([UserRole.ADMIN]);
    const viewer = await newUser([UserRole.VIEWER]);
    const denied = await gql("mutation { rotateSigningKey { kid } }", {}, viewer.caller);
    expect(denied.errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    const rotated = (await gql("mutation { rotateSigningKey { kid createdAt } }", {}, admin.caller)).data!
      .rotateSigningKey;
    const after = await services.users.login(em(), email, password);
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(rotated.kid);
    expect(decodeProtectedHeader(before.accessToken).kid).not.toBe(rotated.kid);
    const jwks = (await (await fetch(`http://127.0.0.1:${subgraph.port}/.well-known/jwks.json`)).json()) as {
      keys: never[];
    };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    const keySet = createLocalJWKSet(jwks);
    for (const token of [before.accessToken, after.accessToken]) {
      await expect(jwtVerify(token, keySet, { issuer: "one-data-studio" })).resolves.toBeTruthy();
    }
    // A refresh after the rotation moves the old session onto the new key.
    const refreshed = await services.sessions.refresh(em(), before.refreshToken!);
    expect(decodeProtectedHeader(refreshed.accessToken).kid).toBe(rotated.kid);
  });
});

describe("admin", () => {
  it("disabling a user ends their sessions, stops their keys and lists them for the gateway", async () => {
    const admin = await newUser([UserRole.ADMIN]);
    const target = await newUser();
    const session = await services.users.login(em(), target.email, password);
    const key = await services.apiKeys.create(em(), target.user.id, { name: "k" });
    const disable = "mutation($id: ID!) { disableUser(id: $id) { disabled } }";
    expect((await gql(disable, { id: target.user.id }, target.caller)).errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    expect((await gql(disable, { id: target.user.id }, admin.caller)).data?.disableUser).toEqual({ disabled: true });
    await expect(services.sessions.refresh(em(), session.refreshToken!)).rejects.toEqual(code("UNAUTHENTICATED"));
    expect(await services.apiKeys.verify(em(), key.secret)).toBeUndefined();
    await expect(services.users.login(em(), target.email, password)).rejects.toEqual(code("UNAUTHENTICATED"));
    const revoked = await services.sessions.revocations(em());
    expect(revoked.users.map((u) => u.id)).toContain(target.user.id);
    expect(revoked.sessions).toContain(session.sessionId);
    expect((await gql(disable, { id: admin.user.id }, admin.caller)).errors?.[0]?.extensions.code).toBe(
      "BAD_USER_INPUT",
    );
    await gql("mutation($id: ID!) { enableUser(id: $id) { disabled } }", { id: target.user.id }, admin.caller);
    await expect(services.users.login(em(), target.email, password)).resolves.toBeTruthy();
  });

  it("changes roles, which the next refresh carries", async () => {
    const admin = await newUser([UserRole.ADMIN]);
    const target = await newUser([UserRole.VIEWER]);
    const s = await services.users.login(em(), target.email, password);
    const set = "mutation($id: ID!, $r: [UserRole!]!) { setUserRoles(id: $id, roles: $r) { roles } }";
    expect((await gql(set, { id: target.user.id, r: ["EDITOR"] }, admin.caller)).data?.setUserRoles).toEqual({
      roles: ["EDITOR"],
    });
    const refreshed = await services.sessions.refresh(em(), s.refreshToken!);
    const jwks = createLocalJWKSet(services.tokens.jwks() as never);
    expect((await jwtVerify(refreshed.accessToken, jwks)).payload.roles).toEqual(["editor"]);
    expect((await gql(set, { id: admin.user.id, r: ["VIEWER"] }, admin.caller)).errors?.[0]?.extensions.code).toBe(
      "BAD_USER_INPUT",
    );
  });

  it("sessions: own for everyone, anyone's for admins, NOT_FOUND for others", async () => {
    const admin = await newUser([UserRole.ADMIN]);
    const owner = await newUser();
    const stranger = await newUser();
    const s = await services.users.login(em(), owner.email, password, { userAgent: "test-agent" });
    const list = "query($u: ID) { sessions(userId: $u) { id userAgent method } }";
    expect((await gql(list, {}, owner.caller)).data?.sessions).toEqual([
      { id: s.sessionId, userAgent: "test-agent", method: "password" },
    ]);
    expect((await gql(list, { u: owner.user.id }, stranger.caller)).errors?.[0]?.extensions.code).toBe("NOT_FOUND");
    expect((await gql(list, { u: owner.user.id }, admin.caller)).data?.sessions).toHaveLength(1);
    const revoke = "mutation($id: ID!) { revokeSession(id: $id) { revokedAt revokedReason } }";
    expect((await gql(revoke, { id: s.sessionId }, stranger.caller)).errors?.[0]?.extensions.code).toBe("NOT_FOUND");
    expect((await gql(revoke, { id: s.sessionId }, owner.caller)).data?.revokeSession.revokedReason).toBe("revoked");
    expect((await gql(list, {}, owner.caller)).data?.sessions).toEqual([]);
  });
});

describe("single sign-on users", () => {
  it("are created on first sign-in, found by issuer and subject after, and take their roles from the provider", async () => {
    const issuer = "https://sso.example.com/realms/ods";
    const first = await services.users.loginWithOidc(em(), {
      issuer,
      subject: "sub-1",
      email: "Sso.User@Example.com",
      name: "Sso User",
      roles: [UserRole.VIEWER],
    });
    expect(first.user).toMatchObject({ email: "sso.user@example.com", roles: ["viewer"], passwordHash: null });
    const again = await services.users.loginWithOidc(em(), {
      issuer,
      subject: "sub-1",
      email: "renamed@example.com",
      roles: [UserRole.ADMIN],
    });
    expect(again.user.id).toBe(first.user.id);
    expect(again.user).toMatchObject({ email: "renamed@example.com", roles: ["admin"] });
    // No password: the password sign-in refuses them like any wrong password.
    await expect(services.users.login(em(), "renamed@example.com", "")).rejects.toEqual(code("UNAUTHENTICATED"));
    // A provider cannot claim a local account's email.
    const local = await newUser([UserRole.ADMIN]);
    await expect(
      services.users.loginWithOidc(em(), { issuer, subject: "sub-2", email: local.email, roles: [UserRole.VIEWER] }),
    ).rejects.toEqual(code("CONFLICT"));
  });
});
