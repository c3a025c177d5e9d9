import {
  createLogger,
  openDatabase,
  signInternalToken,
  startSubgraph,
  type Caller,
  type RunningSubgraph,
} from "@ods/kit";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mountRoutes } from "../src/routes.js";
import { migrations } from "../src/migrations/index.js";
import { entities, schemaOptions } from "../src/schema.js";
import { createIdentityServices } from "../src/services/index.js";
import { createLocalJWKSet, jwtVerify } from "jose";

const secret = "identity-test-secret-0123456789abcdef";
let dir: string;
let subgraph: RunningSubgraph;
let setupToken: string | undefined;

async function gql(query: string, variables: Record<string, unknown> = {}, caller: Caller = { roles: [] }) {
  const res = await fetch(subgraph.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-ods-internal-token": await signInternalToken(secret, caller) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as {
    data?: Record<string, any>;
    errors?: { message: string; extensions: { code: string } }[];
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ods-identity-"));
  const orm = await openDatabase({ name: "identity", dataDir: dir, entities, migrations });
  const logger = createLogger("identity-test", "silent");
  const services = createIdentityServices({
    secret,
    accessTtlSeconds: 900,
    session: { refreshTtlSeconds: 3600, reuseGraceSeconds: 0 },
    throttle: { maxFailures: 5, ipMaxFailures: 20, baseSeconds: 30, maxSeconds: 900 },
    logger,
  });
  const { users, tokens } = services;
  await tokens.init(orm.em.fork());
  setupToken = await users.bootstrap(orm.em.fork(), {});
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

describe("identity", () => {
  it("refuses calls without the gateway's internal token", async () => {
    const res = await fetch(subgraph.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it("creates the first admin through the one-time setup link, once", async () => {
    expect(setupToken).toBeTruthy();
    const input = { token: setupToken, email: "Admin@Example.com", name: "Admin", password: "correct horse" };
    const first = await gql(
      "mutation($input: CompleteSetupInput!) { completeSetup(input: $input) { accessToken user { email roles } } }",
      { input },
    );
    expect(first.data?.completeSetup.user).toEqual({ email: "admin@example.com", roles: ["ADMIN"] });
    const again = await gql("mutation($input: CompleteSetupInput!) { completeSetup(input: $input) { accessToken } }", {
      input,
    });
    expect(again.errors?.[0]?.extensions.code).toBe("UNAUTHENTICATED");
  });

  it("signs in with an ES256 token that verifies against the published JWKS", async () => {
    const result = await gql(
      'mutation { login(email: "admin@example.com", password: "correct horse") { accessToken expiresAt user { id email } } }',
    );
    const { accessToken, expiresAt, user } = result.data!.login;
    const jwks = (await (await fetch(`http://127.0.0.1:${subgraph.port}/.well-known/jwks.json`)).json()) as {
      keys: never[];
    };
    const { payload, protectedHeader } = await jwtVerify(accessToken, createLocalJWKSet(jwks), {
      issuer: "one-data-studio",
    });
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload.sub).toBe(user.id);
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });

  it("says the same thing for a wrong password and an unknown email", async () => {
    const wrong = await gql('mutation { login(email: "admin@example.com", password: "nope-nope") { accessToken } }');
    const unknown = await gql('mutation { login(email: "who@example.com", password: "nope-nope") { accessToken } }');
    expect(wrong.errors?.[0]).toMatchObject({
      message: "Wrong email or password",
      extensions: { code: "UNAUTHENTICATED" },
    });
    expect(unknown.errors?.[0]?.message).toBe(wrong.errors?.[0]?.message);
  });

  it("lets admins create users, with clear errors for bad input and duplicates", async () => {
    const me = (await gql('mutation { login(email: "admin@example.com", password: "correct horse") { user { id } } }'))
      .data!.login.user;
    const admin: Caller = { userId: me.id, email: "admin@example.com", roles: ["admin"] };
    const create = "mutation($input: CreateUserInput!) { createUser(input: $input) { id email roles } }";
    const made = await gql(
      create,
      { input: { email: "ed@example.com", name: "Ed", password: "long enough", roles: ["EDITOR"] } },
      admin,
    );
    expect(made.data?.createUser).toMatchObject({ email: "ed@example.com", roles: ["EDITOR"] });
    const dup = await gql(create, { input: { email: "ED@example.com", name: "Ed", password: "long enough" } }, admin);
    expect(dup.errors?.[0]?.extensions.code).toBe("CONFLICT");
    const bad = await gql(create, { input: { email: "not-an-email", name: "", password: "short" } }, admin);
    expect(bad.errors?.[0]?.extensions.code).toBe("BAD_USER_INPUT");
    expect(bad.errors?.[0]?.message).toMatch(/email.*name.*password/s);
    const viewer = await gql(
      create,
      { input: { email: "v@example.com", name: "V", password: "long enough" } },
      { userId: made.data!.createUser.id, roles: ["editor"] },
    );
    expect(viewer.errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    const anonymous = await gql("{ users { totalCount } }");
    expect(anonymous.errors?.[0]?.extensions.code).toBe("UNAUTHENTICATED");
    const listed = await gql(
      "{ users(first: 1) { totalCount edges { node { email } } pageInfo { hasNextPage endCursor } } }",
      {},
      admin,
    );
    expect(listed.data?.users).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true } });
  });

  it("issues API keys that verify until revoked, and never returns their secret again", async () => {
    const me = (await gql('mutation { login(email: "admin@example.com", password: "correct horse") { user { id } } }'))
      .data!.login.user;
    const caller: Caller = { userId: me.id, roles: ["admin"] };
    const created = (await gql('mutation { createApiKey(name: "ci") { secret apiKey { id prefix } } }', {}, caller))
      .data!.createApiKey;
    expect(created.secret).toMatch(/^ods_[0-9a-f]{12}_/);
    const verify = async (key: string) =>
      fetch(`http://127.0.0.1:${subgraph.port}/internal/api-keys/verify`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-ods-internal-token": await signInternalToken(secret, { roles: [], service: "gateway" }),
        },
        body: JSON.stringify({ key }),
      });
    const ok = await verify(created.secret);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).caller).toMatchObject({ userId: me.id, apiKeyId: created.apiKey.id });
    const altered = `${created.secret.slice(0, -2)}${created.secret.endsWith("xx") ? "yy" : "xx"}`;
    expect((await verify(altered)).status).toBe(404);
    const listed = await gql("{ apiKeys { id prefix } }", {}, caller);
    // The secret is base64url and may itself hold "_": all of it after the prefix.
    expect(JSON.stringify(listed)).not.toContain(/^ods_[0-9a-f]{12}_(.+)$/.exec(created.secret)![1]!);
    await gql("mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }", { id: created.apiKey.id }, caller);
    expect((await verify(created.secret)).status).toBe(404);
    const unauthenticatedVerify = await fetch(`http://127.0.0.1:${subgraph.port}/internal/api-keys/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: created.secret }),
    });
    expect(unauthenticatedVerify.status).toBe(401);
  });
});
