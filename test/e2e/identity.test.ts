// Sessions, API key scopes and single sign-on through the gateway, used as a browser and as a program would.
// A real OpenID provider (`oidc-provider`) runs on loopback; the test drives its login and consent forms with
// fetch and a small cookie jar, so the redirect, callback and token exchange are all the real thing.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeProtectedHeader } from "jose";
// @ts-expect-error -- oidc-provider ships no type declarations (and its @types lag its major version)
import Provider from "oidc-provider";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, bootPlatform, collect, gql, gqlOk, wsClient, type Platform } from "./harness.js";

let platform: Platform;
let providerServer: Server;
let issuer: string;
/** The gateway's public URL (ODS_PUBLIC_URL's default): what the provider redirects the browser back to. */
const PUBLIC_URL = "http://localhost:4000";

/** The people the OpenID provider knows, with the groups its `groups` claim carries. */
const PEOPLE: Record<string, { email: string; name: string; groups: string[] }> = {
  alice: { email: "alice@sso.example.com", name: "Alice", groups: ["ods-admins", "staff"] },
  bob: { email: "bob@sso.example.com", name: "Bob", groups: ["staff"] },
};

beforeAll(async () => {
  // The provider's port must be known before it is built (its issuer URL names it), so listen first.
  let handler: (req: never, res: never) => void = () => undefined;
  providerServer = createServer((req, res) => handler(req as never, res as never));
  await new Promise<void>((resolve) => providerServer.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(providerServer.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: "ods",
        client_secret: "ods-client-secret",
        redirect_uris: [`${PUBLIC_URL}/auth/oidc/callback`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email"], profile: ["name"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups"],
    findAccount: (_ctx: unknown, id: string) =>
      PEOPLE[id] ? { accountId: id, claims: () => ({ sub: id, ...PEOPLE[id] }) } : undefined,
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ["test-cookie-key-0123456789"] },
  } as never);
  handler = provider.callback() as never;

  platform = await bootPlatform({
    ODS_REFRESH_REUSE_GRACE: "0",
    ODS_OIDC_ISSUER: issuer,
    ODS_OIDC_CLIENT_ID: "ods",
    ODS_OIDC_CLIENT_SECRET: "ods-client-secret",
    ODS_OIDC_SCOPES: "openid email profile groups",
    ODS_OIDC_ROLE_CLAIM: "groups",
    ODS_OIDC_ROLE_MAP: "ods-admins:admin,ods-editors:editor",
  });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  providerServer?.closeAllConnections();
  await new Promise((resolve) => providerServer?.close(resolve));
});

/** Cookies a response set, by name (value "" when it clears one), with their attributes. */
function setCookies(res: Response): Map<string, { value: string; attributes: string }> {
  const out = new Map<string, { value: string; attributes: string }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";");
    const at = pair!.indexOf("=");
    out.set(pair!.slice(0, at).trim(), { value: pair!.slice(at + 1).trim(), attributes: attributes.join(";") });
  }
  return out;
}

/** A browser's cookie jar for one site: what it would send back. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const [name, { value, attributes }] of setCookies(res)) {
      if (!value || /max-age=0|expires=thu, 01 jan 1970/i.test(attributes)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** GraphQL as the web app sends it: cookies, JSON, same origin. */
async function browserGql(jar: Jar, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${platform.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: jar.header(), origin: platform.url },
    body: JSON.stringify({ query, variables }),
  });
  jar.take(res);
  return { res, body: (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${platform.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: platform.url, ...headers },
    body: JSON.stringify(body),
  });
}

async function createUser(email: string, roles: string[] = ["EDITOR"]) {
  const admin = (await (await post("/auth/token", ADMIN)).json()) as { accessToken: string };
  await gqlOk(
    platform,
    "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
    { i: { email, name: email, password: "e2e-password-1", roles } },
    admin.accessToken,
  );
  return { email, password: "e2e-password-1" };
}

describe("browser sessions", () => {
  it("sign-in sets an HttpOnly Lax access cookie and an HttpOnly Strict refresh cookie, not Secure on localhost", async () => {
    const res = await post("/auth/login", ADMIN);
    expect(res.status).toBe(200);
    const cookies = setCookies(res);
    expect(cookies.get("ods_session")?.attributes).toMatch(/HttpOnly/i);
    expect(cookies.get("ods_session")?.attributes).toMatch(/SameSite=Lax/i);
    expect(cookies.get("ods_refresh")?.attributes).toMatch(/HttpOnly/i);
    expect(cookies.get("ods_refresh")?.attributes).toMatch(/SameSite=Strict/i);
    expect(res.headers.getSetCookie().join("\n")).not.toMatch(/Secure/i);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ user: { email: ADMIN.email } });
    // The page never sees a token.
    expect(JSON.stringify(body)).not.toMatch(/odsr_|accessToken/);
  });

  it("refreshes transparently when the access cookie has lapsed, rotating the refresh cookie", async () => {
    const jar = new Jar();
    jar.take(await post("/auth/login", ADMIN));
    const firstRefresh = jar.cookies.get("ods_refresh")!;
    // The browser dropped the access cookie when it expired; only the refresh cookie goes with the request.
    jar.cookies.delete("ods_session");
    const { res, body } = await browserGql(jar, "{ me { email } }");
    expect(res.status).toBe(200);
    expect(body.data?.me).toEqual({ email: ADMIN.email });
    expect(jar.cookies.get("ods_session")).toBeTruthy();
    expect(jar.cookies.get("ods_refresh")).not.toBe(firstRefresh);
    // And again with the rotated cookie, through the explicit route this time.
    jar.cookies.delete("ods_session");
    const refreshed = await fetch(`${platform.url}/auth/refresh`, {
      method: "POST",
      headers: { cookie: jar.header(), origin: platform.url },
    });
    expect(refreshed.status).toBe(200);
    jar.take(refreshed);
    expect((await browserGql(jar, "{ me { email } }")).body.data?.me).toEqual({ email: ADMIN.email });
  });

  it("a stolen refresh cookie used after its owner refreshed ends the session for both", async () => {
    const jar = new Jar();
    jar.take(await post("/auth/login", ADMIN));
    const stolen = jar.cookies.get("ods_refresh")!;
    jar.take(await fetch(`${platform.url}/auth/refresh`, { method: "POST", headers: { cookie: jar.header() } }));
    const thief = await fetch(`${platform.url}/auth/refresh`, {
      method: "POST",
      headers: { cookie: `ods_refresh=${stolen}` },
    });
    expect(thief.status).toBe(401);
    expect(setCookies(thief).get("ods_refresh")?.value).toBe("");
    const owner = await fetch(`${platform.url}/auth/refresh`, { method: "POST", headers: { cookie: jar.header() } });
    expect(owner.status).toBe(401);
    // The owner's access token stops too, not only at its expiry.
    const me = await browserGql(jar, "{ me { email } }");
    expect(me.res.status).toBe(401);
  });

  it("logs out here, or everywhere", async () => {
    const user = await createUser(`everywhere-${Date.now()}@example.com`);
    const a = new Jar();
    const b = new Jar();
    a.take(await post("/auth/login", user));
    b.take(await post("/auth/login", user));
    const program = (await (await post("/auth/token", user)).json()) as { accessToken: string; refreshToken: string };
    // Here: only this browser's session ends.
    const here = await fetch(`${platform.url}/auth/logout`, {
      method: "POST",
      headers: { cookie: a.header(), origin: platform.url },
    });
    expect(here.status).toBe(200);
    const staleA = a.header();
    a.take(here);
    expect(a.cookies.size).toBe(0);
    expect(
      (
        await fetch(`${platform.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", cookie: staleA, origin: platform.url },
          body: JSON.stringify({ query: "{ me { email } }" }),
        })
      ).status,
    ).toBe(401);
    expect((await browserGql(b, "{ me { email } }")).body.data?.me).toEqual({ email: user.email });
    // Everywhere: the other browser and the program are signed out at once.
    const everywhere = await post("/auth/logout", { everywhere: true }, { cookie: b.header() });
    expect(everywhere.status).toBe(200);
    expect((await gql(platform, "{ me { email } }", {}, program.accessToken)).status).toBe(401);
    expect((await post("/auth/token", { refreshToken: program.refreshToken })).status).toBe(401);
  });

  it("programs sign in and refresh with JSON bodies", async () => {
    const first = (await (await post("/auth/token", ADMIN)).json()) as Record<string, string>;
    expect(first).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.stringMatching(/^odsr_/) });
    const next = await post("/auth/token", { refreshToken: first.refreshToken });
    expect(next.headers.getSetCookie()).toEqual([]);
    const second = (await next.json()) as Record<string, string>;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await gqlOk(platform, "{ me { email } }", {}, second.accessToken)).me.email).toBe(ADMIN.email);
  });

  it("locks sign-in after 5 failures with 429 and Retry-After, the same for unknown accounts", async () => {
    const user = await createUser(`locked-${Date.now()}@example.com`);
    const unknown = `nobody-${Date.now()}@example.com`;
    for (const email of [user.email, unknown]) {
      for (let i = 0; i < 5; i++)
        expect((await post("/auth/login", { email, password: "wrong-pass" })).status).toBe(401);
    }
    const locked = await post("/auth/login", user);
    const lockedUnknown = await post("/auth/login", { email: unknown, password: "whatever-1" });
    for (const res of [locked, lockedUnknown]) {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(((await locked.json()) as any).error.code).toBe("RATE_LIMITED");
    expect(((await lockedUnknown.json()) as any).error.message).toMatch(/Too many failed sign-ins/);
  });

  it("a disabled user's access token stops working within seconds", async () => {
    const user = await createUser(`disabled-${Date.now()}@example.com`);
    const tokens = (await (await post("/auth/token", user)).json()) as { accessToken: string; user: { id: string } };
    expect((await gql(platform, "{ me { email } }", {}, tokens.accessToken)).status).toBe(200);
    const admin = (await (await post("/auth/token", ADMIN)).json()) as { accessToken: string };
    await gqlOk(
      platform,
      "mutation($id: ID!) { disableUser(id: $id) { id } }",
      { id: tokens.user.id },
      admin.accessToken,
    );
    await expect
      .poll(async () => (await gql(platform, "{ me { email } }", {}, tokens.accessToken)).status, { timeout: 10_000 })
      .toBe(401);
  });

  it("keeps tokens signed before a key rotation working, and accepts tokens from the new key", async () => {
    const admin = (await (await post("/auth/token", ADMIN)).json()) as { accessToken: string };
    expect((await gql(platform, "{ me { email } }", {}, admin.accessToken)).status).toBe(200);
    const { rotateSigningKey } = await gqlOk(platform, "mutation { rotateSigningKey { kid } }", {}, admin.accessToken);
    const after = (await (await post("/auth/token", ADMIN)).json()) as { accessToken: string };
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(rotateSigningKey.kid);
    // The gateway has never seen this kid: it fetches the JWKS again instead of refusing.
    expect((await gqlOk(platform, "{ me { email } }", {}, after.accessToken)).me.email).toBe(ADMIN.email);
    expect((await gqlOk(platform, "{ me { email } }", {}, admin.accessToken)).me.email).toBe(ADMIN.email);
  });
});

describe("API key scopes at the gateway", () => {
  let token: string;
  const key = async (scopes: string[]) =>
    (
      await gqlOk(
        platform,
        "mutation($n: String!, $s: [ApiKeyScope!]) { createApiKey(name: $n, scopes: $s) { secret } }",
        { n: scopes.join("+"), s: scopes },
        token,
      )
    ).createApiKey.secret as string;

  beforeAll(async () => {
    token = ((await (await post("/auth/token", ADMIN)).json()) as { accessToken: string }).accessToken;
  });

  it("a READ key may query but not mutate, nor call the model API", async () => {
    const read = await key(["READ"]);
    expect((await gqlOk(platform, "{ me { email } }", {}, read)).me.email).toBe(ADMIN.email);
    const mutation = await gql(platform, 'mutation { createApiKey(name: "sneaky") { secret } }', {}, read);
    expect(mutation.status).toBe(403);
    expect(mutation.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const openai = new OpenAI({ baseURL: `${platform.url}/v1`, apiKey: read, maxRetries: 0 });
    await expect(openai.models.list()).rejects.toMatchObject({ status: 401 });
    // `chat` is a subscription that sends a message: it writes, so it is refused like a mutation.
    const socket = wsClient(platform, read);
    const refused = await collect(
      socket,
      'subscription { chat(input: { content: "sneaky" }) { __typename } }',
      {},
    ).then(
      () => "no error",
      (err: Error) => err.message,
    );
    await socket.dispose();
    expect(refused).toContain('"code":"FORBIDDEN"');
    const conversations = await gqlOk(platform, "{ conversations { edges { node { title } } } }", {}, read);
    expect(JSON.stringify(conversations)).not.toContain("sneaky");
  });

  it("a MODEL_API key reaches /v1 only", async () => {
    const model = await key(["MODEL_API"]);
    const openai = new OpenAI({ baseURL: `${platform.url}/v1`, apiKey: model, maxRetries: 0 });
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain("builtin-offline");
    const graph = await gql(platform, "{ me { email } }", {}, model);
    expect(graph.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const rows = await fetch(`${platform.url}/api/datasets/none/rows`, {
      headers: { authorization: `Bearer ${model}` },
    });
    expect(rows.status).toBe(401);
  });

  it("a WRITE key may mutate but has no admin rights without ADMIN", async () => {
    const write = await key(["WRITE"]);
    expect(
      (await gqlOk(platform, 'mutation { createApiKey(name: "child") { secret } }', {}, write)).createApiKey.secret,
    ).toMatch(/^ods_/);
    const users = await gql(platform, "{ users { totalCount } }", {}, write);
    expect(users.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const admin = await key(["ADMIN"]);
    expect((await gqlOk(platform, "{ users { totalCount } }", {}, admin)).users.totalCount).toBeGreaterThan(0);
  });
});

/** Follows a browser's way through the provider's login and consent pages; returns the callback URL it lands on. */
async function signInAtProvider(start: Response, login: string): Promise<string> {
  const jar = new Jar();
  let location = start.headers.get("location")!;
  for (let hop = 0; hop < 20; hop++) {
    const url = new URL(location, issuer);
    if (url.href.startsWith(`${PUBLIC_URL}/auth/oidc/callback`)) return url.href;
    const res = await fetch(url, { redirect: "manual", headers: { cookie: jar.header() } });
    jar.take(res);
    if (res.status >= 300 && res.status < 400) {
      location = res.headers.get("location")!;
      continue;
    }
    const html = await res.text();
    expect(res.status, html).toBe(200);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!;
    const prompt = /name="prompt" value="(\w+)"/.exec(html)![1]!;
    const form = new URLSearchParams({ prompt, ...(prompt === "login" ? { login, password: "any" } : {}) });
    const submitted = await fetch(new URL(action, issuer), {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.header() },
      body: form,
    });
    jar.take(submitted);
    location = submitted.headers.get("location")!;
  }
  throw new Error("the provider never redirected back");
}

describe("single sign-on with OpenID Connect", () => {
  /** The whole browser round trip: gateway → provider → gateway callback; returns the gateway's cookies. */
  async function ssoLogin(login: string, returnTo = "/datasets") {
    const start = await fetch(`${platform.url}/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`, {
      redirect: "manual",
    });
    expect(start.status).toBe(303);
    const authorize = new URL(start.headers.get("location")!);
    expect(authorize.origin).toBe(issuer);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("redirect_uri")).toBe(`${PUBLIC_URL}/auth/oidc/callback`);
    const gatewayJar = new Jar();
    gatewayJar.take(start);
    const callback = new URL(await signInAtProvider(start, login));
    // The browser reaches the gateway at its public URL; here that is the test's own address for it.
    const back = await fetch(`${platform.url}${callback.pathname}${callback.search}`, {
      redirect: "manual",
      headers: { cookie: gatewayJar.header() },
    });
    gatewayJar.take(back);
    return { back, jar: gatewayJar };
  }

  it("signs a new user in, with roles from the groups claim, and finds the same user next time", async () => {
    const { back, jar } = await ssoLogin("alice");
    expect(back.status).toBe(303);
    expect(back.headers.get("location")).toBe("/datasets");
    expect(jar.cookies.get("ods_session")).toBeTruthy();
    expect(jar.cookies.get("ods_refresh")).toBeTruthy();
    const me = (await browserGql(jar, "{ me { id email name roles } }")).body.data?.me;
    expect(me).toMatchObject({ email: "alice@sso.example.com", name: "Alice", roles: ["ADMIN"] });
    const again = await ssoLogin("alice", "/");
    expect((await browserGql(again.jar, "{ me { id } }")).body.data?.me.id).toBe(me.id);
  });

  it("gives unmapped users the default role, viewer", async () => {
    const { jar } = await ssoLogin("bob");
    expect((await browserGql(jar, "{ me { email roles } }")).body.data?.me).toEqual({
      email: "bob@sso.example.com",
      roles: ["VIEWER"],
    });
  });

  it("refuses a callback without the sign-in's state cookie, and an open redirect", async () => {
    const start = await fetch(`${platform.url}/auth/oidc/login?returnTo=//evil.example.com`, { redirect: "manual" });
    const callback = new URL(await signInAtProvider(start, "alice"));
    const forged = await fetch(`${platform.url}${callback.pathname}${callback.search}`, { redirect: "manual" });
    expect(forged.status).toBe(303);
    expect(forged.headers.get("location")).toBe("/login?error=sso");
    expect(setCookies(forged).get("ods_session")).toBeUndefined();
    const jar = new Jar();
    jar.take(start);
    const honest = await fetch(`${platform.url}${callback.pathname}${callback.search}`, {
      redirect: "manual",
      headers: { cookie: jar.header() },
    });
    expect(honest.headers.get("location")).toBe("/");
  });
});
