// The security suite: the platform in production mode, attacked from outside through its public endpoints — the
// twelve graphql-cop probes, the depth and alias limits with their cost measured, forged tokens, a forged
// internal token sent straight to a subgraph, CSRF, CORS, security headers and the rate limits.
import { decryptSecret } from "@ods/kit";
import Database from "better-sqlite3";
import { generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, bootPlatform, gql, gqlOk, login, wsClient, type Platform } from "./harness.js";

const LIMITS = {
  requests: 200,
  login: 5,
  allowedOrigin: "http://allowed.example",
};

let platform: Platform;
let adminToken: string;

beforeAll(async () => {
  platform = await bootPlatform({
    NODE_ENV: "production",
    // Production marks cookies Secure; these tests speak plain HTTP on loopback and use bearer tokens anyway.
    ODS_COOKIE_SECURE: "false",
    ODS_RATE_LIMIT_REQUESTS: String(LIMITS.requests),
    ODS_RATE_LIMIT_LOGIN: String(LIMITS.login),
    // A long window: no token comes back during the test, so the count is exact.
    ODS_RATE_LIMIT_WINDOW_S: "3600",
    ODS_CORS_ORIGINS: LIMITS.allowedOrigin,
  });
  adminToken = await login(platform);
});

afterAll(async () => {
  await platform?.stop();
});

/** A POST to /graphql with any body and headers; each test uses its own client address (X-Forwarded-For). */
async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${platform.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const codes = (r: { json?: { errors?: { extensions?: Record<string, unknown> }[] } }) =>
  (r.json?.errors ?? []).map((e) => e.extensions?.code);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The server's own measure of its checks, from the `Server-Timing: graphql-guard;dur=…` header. */
const guardMs = (headers: Headers) =>
  Number(/graphql-guard;dur=([\d.]+)/.exec(headers.get("server-timing") ?? "")?.[1]);

describe("the twelve graphql-cop probes are refused", () => {
  it("field suggestions: no 'Did you mean' in production", async () => {
    const r = await post({ query: "query cop { __schema { directive } }" });
    const r2 = await post({ query: "{ mee { id } }" }, { authorization: `Bearer ${adminToken}` });
    for (const res of [r, r2]) {
      expect(res.json?.errors?.length).toBeGreaterThan(0);
      expect(res.text).not.toMatch(/Did you mean/i);
    }
  });

  it("introspection is off in production", async () => {
    const r = await post({ query: "query cop { __schema { types { name } } }" });
    expect(r.json?.data).toBeUndefined();
    expect(codes(r)).toContain("GRAPHQL_VALIDATION_FAILED");
    expect(r.text).not.toContain('"types"');
  });

  it("alias overloading: 101 aliases refused", async () => {
    const aliases = Array.from({ length: 101 }, (_, i) => `alias${i}: __typename`).join(" ");
    const r = await post({ query: `query cop { ${aliases} }` });
    expect(r.status).toBe(400);
    expect(r.json?.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "aliases" });
  });

  it("batch queries: an array body is refused", async () => {
    const r = await post(Array.from({ length: 10 }, () => ({ query: "query cop { __typename }" })));
    expect(r.status).toBe(400);
    expect(Array.isArray(r.json)).toBe(false);
    expect(codes(r)).toEqual(["BAD_REQUEST"]);
  });

  it("directive overloading: repeated directives refused with one error", async () => {
    const r = await post({ query: `query cop { __typename ${"@aa".repeat(10)} }` });
    expect(r.status).toBe(400);
    expect(r.json?.errors).toHaveLength(1);
    expect(codes(r)).toEqual(["QUERY_TOO_COMPLEX"]);
  });

  it("circular introspection query refused", async () => {
    const r = await post({
      query:
        "query cop { __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }",
    });
    expect(r.json?.data).toBeUndefined();
    expect(r.json?.errors?.length).toBeGreaterThan(0);
  });

  it("GET-based mutations refused", async () => {
    const res = await fetch(`${platform.url}/graphql?query=${encodeURIComponent("mutation cop { __typename }")}`, {
      headers: { "apollo-require-preflight": "true" },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(((await res.json()) as { data?: unknown }).data).toBeUndefined();
  });

  it("GET-based CSRF: a GET query without a preflight header is refused", async () => {
    const res = await fetch(`${platform.url}/graphql?query=${encodeURIComponent("query cop { __typename }")}`);
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('"__typename"');
  });

  it("POST url-encoded CSRF (and text/plain, multipart) refused", async () => {
    for (const [type, body] of [
      ["application/x-www-form-urlencoded", "query=query%20cop%20%7B__typename%7D"],
      ["text/plain", '{"query":"query cop { __typename }"}'],
      [
        "multipart/form-data; boundary=x",
        '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{__typename}\r\n--x--',
      ],
    ] as const) {
      const res = await fetch(`${platform.url}/graphql`, { method: "POST", headers: { "content-type": type }, body });
      expect(res.status, type).toBe(415);
      expect(await res.text()).not.toContain('"__typename"');
    }
  });

  it("trace mode: no tracing or ftv1 data in responses", async () => {
    const r = await post({ query: "query cop { __typename }" }, { "apollo-federation-include-trace": "ftv1" });
    expect(r.json?.data).toEqual({ __typename: "Query" });
    expect(r.text).not.toMatch(/tracing|ftv1/);
  });

  it("debug mode: errors carry no stack trace or exception", async () => {
    for (const query of ["query cop { __typename {}", "query cop { __typename(debug: true) }"]) {
      const r = await post({ query, extensions: { debug: true } }, { "x-debug": "1" });
      expect(r.json?.errors?.length).toBeGreaterThan(0);
      expect(r.text).not.toMatch(/stacktrace|exception|at \w+ \(|\.ts:\d+|\.js:\d+/i);
    }
    // A malformed JSON body is answered by the gateway's own error handler, also without internals.
    const bad = await post("{ not json", {});
    expect(bad.status).toBe(400);
    expect(bad.text).not.toMatch(/stack|SyntaxError|at \w+ \(/);
  });

  it("character overload: a huge query string refused before parsing", async () => {
    const r = await post({ query: `query cop { __typename ${"#".repeat(100_000)}\n }` });
    expect(r.status).toBe(400);
    expect(r.json?.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "length" });
    // And past the body limit (1 MB) the server refuses to read on.
    const huge = await post({ query: `{ __typename }`, variables: { x: "a".repeat(2_000_000) } });
    expect(huge.status).toBe(413);
    expect(codes(huge)).toEqual(["BAD_REQUEST"]);
  });
});

describe("depth and alias limits are cheap to enforce", () => {
  const deep = `query Deep { ${"me { ".repeat(50)}id${" }".repeat(50)} }`;
  const aliases = `query Aliases { ${Array.from({ length: 1000 }, (_, i) => `a${i}: __typename`).join(" ")} }`;

  for (const [name, query] of [
    ["depth 50", deep],
    ["1,000 aliases", aliases],
  ] as const) {
    it(`${name}: refused in under 5 ms (median of 9, measured by the server)`, async () => {
      const times: number[] = [];
      for (let i = 0; i < 9; i++) {
        const r = await post({ query });
        expect(r.status).toBe(400);
        expect(codes(r)).toEqual(["QUERY_TOO_COMPLEX"]);
        times.push(guardMs(r.headers));
      }
      console.info(`[security] ${name}: refused in ${median(times).toFixed(3)} ms (median server-side)`);
      expect(median(times)).toBeLessThan(5);
    });
  }
});

describe("the same limits elsewhere", () => {
  it("graphql-ws: a subscription over the limits is refused before it reaches a subgraph", async () => {
    const client = wsClient(platform, adminToken);
    try {
      const deep = `subscription Deep { messageStream(messageId: "x") { ${"... on MessageDone { message { ".repeat(20)}id${" } }".repeat(20)} } }`;
      const errors = await new Promise<readonly { message: string; extensions?: Record<string, unknown> }[]>(
        (resolve) => {
          client.subscribe(
            { query: deep },
            { next: () => undefined, error: (e) => resolve(e as never), complete: () => resolve([]) },
          );
        },
      );
      expect(errors[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "depth" });
    } finally {
      await client.dispose();
    }
  });

  it("automatic persisted queries are off: a hash alone runs nothing", async () => {
    const r = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } });
    expect(r.json?.data).toBeUndefined();
    expect(r.json?.errors?.length).toBeGreaterThan(0);
  });
});

describe("tokens", () => {
  /** The platform's own signing key, read from identity's database like an attacker who stole nothing could not. */
  async function realSigningKey() {
    const db = new Database(join(platform.dataDir, "identity.sqlite"), { readonly: true });
    try {
      const row = db
        .prepare("select kid, private_jwk_encrypted as jwk from identity_signing_key order by created_at desc limit 1")
        .get() as { kid: string; jwk: string };
      return {
        kid: row.kid,
        key: await importJWK(JSON.parse(decryptSecret(row.jwk, platform.internalSecret)) as JWK, "ES256"),
      };
    } finally {
      db.close();
    }
  }

  const claims = { email: ADMIN.email, roles: ["admin"] };
  const ask = (token: string) => gql(platform, "{ me { id email } }", {}, token);

  it("a valid token works (the control)", async () => {
    const r = await ask(adminToken);
    expect(r.data?.me?.email).toBe(ADMIN.email);
  });

  it("an expired token signed with the real key is refused", async () => {
    const { kid, key } = await realSigningKey();
    const me = (await ask(adminToken)).data.me.id as string;
    const expired = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
      .setIssuer("one-data-studio")
      .setAudience("one-data-studio")
      .setSubject(me)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    const r = await ask(expired);
    expect(r.status).toBe(401);
    expect(r.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(r.data).toBeUndefined();
  });

  it("a token signed with another key (same kid) is refused", async () => {
    const { kid } = await realSigningKey();
    const { privateKey } = await generateKeyPair("ES256");
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
      .setIssuer("one-data-studio")
      .setAudience("one-data-studio")
      .setSubject("someone")
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(privateKey);
    const r = await ask(forged);
    expect(r.status).toBe(401);
    expect(r.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("forged tokens (tampered payload, alg none, HS256 with a guessable secret, garbage) are refused", async () => {
    const [header, , signature] = adminToken.split(".");
    const payload = Buffer.from(JSON.stringify({ ...claims, sub: "attacker", exp: 9_999_999_999 })).toString(
      "base64url",
    );
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${payload}.`;
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("one-data-studio")
      .setAudience("one-data-studio")
      .setSubject("attacker")
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode(platform.internalSecret));
    for (const token of [
      `${header}.${payload}.${signature}`,
      none,
      hs,
      "not-a-token",
      "ods_000000000000_guessedguessedguessed",
    ]) {
      const r = await ask(token);
      expect(r.status, token.slice(0, 20)).toBe(401);
      expect(r.data).toBeUndefined();
    }
  });

  it("a forged internal token sent straight to a subgraph is refused", async () => {
    const identity = `http://127.0.0.1:${platform.ports.identity}/graphql`;
    const forged = await new SignJWT({ email: ADMIN.email, roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("ods-gateway")
      .setAudience("ods-subgraphs")
      .setSubject("attacker")
      .setIssuedAt()
      .setExpirationTime("60s")
      .sign(new TextEncoder().encode("x".repeat(48)));
    const { privateKey } = await generateKeyPair("ES256");
    const otherAlg = await new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg: "ES256" })
      .setIssuer("ods-gateway")
      .setAudience("ods-subgraphs")
      .setSubject("attacker")
      .setExpirationTime("60s")
      .sign(privateKey);
    const attempts: Record<string, string>[] = [
      { "x-ods-internal-token": forged },
      { "x-ods-internal-token": otherAlg },
      {},
    ];
    for (const headers of attempts) {
      const res = await fetch(identity, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query: "{ users(first: 5) { totalCount edges { node { email } } } }" }),
      });
      const body = (await res.json()) as { data?: { users?: unknown }; errors?: { extensions?: { code?: string } }[] };
      expect(body.data?.users ?? null).toBeNull();
      expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
    // The control: the same query through the gateway as the admin works.
    const ok = await gqlOk(platform, "{ users(first: 5) { totalCount } }", {}, adminToken);
    expect(ok.users.totalCount).toBeGreaterThan(0);
  });
});

describe("CSRF, CORS and headers", () => {
  it("a cookie-carrying POST from another origin is refused; from our own origin it passes", async () => {
    const query = JSON.stringify({ query: "{ me { id } }" });
    const headers = { "content-type": "application/json", cookie: `ods_session=${adminToken}` };
    const evil = await fetch(`${platform.url}/graphql`, {
      method: "POST",
      headers: { ...headers, origin: "http://evil.example" },
      body: query,
    });
    expect(evil.status).toBe(403);
    const own = await fetch(`${platform.url}/graphql`, {
      method: "POST",
      headers: { ...headers, origin: platform.url },
      body: query,
    });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { data: { me: { id: string } } }).data.me.id).toBeTruthy();
  });

  it("CORS answers only the allow-list", async () => {
    const preflight = (origin: string) =>
      fetch(`${platform.url}/graphql`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    expect((await preflight(LIMITS.allowedOrigin)).headers.get("access-control-allow-origin")).toBe(
      LIMITS.allowedOrigin,
    );
    expect((await preflight("http://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("security headers on every response; HSTS outside localhost only", async () => {
    for (const path of ["/", "/graphql", "/healthz", "/no-such-page"]) {
      const res = await fetch(`${platform.url}${path}`, { headers: { accept: "text/html" } });
      expect(res.headers.get("content-security-policy"), path).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
      expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
      expect(res.headers.get("strict-transport-security")).toBeNull();
    }
    // fetch cannot set Host; a raw request can.
    const { request } = await import("node:http");
    const hsts = await new Promise<string | undefined>((resolve, reject) => {
      request(`${platform.url}/healthz`, { headers: { host: "studio.example.com" } }, (res) => {
        res.resume();
        resolve(res.headers["strict-transport-security"]);
      })
        .on("error", reject)
        .end();
    });
    expect(hsts).toMatch(/max-age=\d+/);
  });
});

describe("rate limits", () => {
  it(`answers 429 at request ${LIMITS.requests + 1} of one user, not before`, async () => {
    const email = `rate-${Date.now()}@example.com`;
    await gqlOk(
      platform,
      "mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }",
      { input: { email, name: "Rate", password: "rate-limit-password-1" } },
      adminToken,
    );
    const token = await login(platform, { email, password: "rate-limit-password-1" });
    const remaining: number[] = [];
    for (let i = 1; i <= LIMITS.requests; i++) {
      const r = await post({ query: "{ __typename }" }, { authorization: `Bearer ${token}` });
      if (r.status !== 200) throw new Error(`request ${i} was refused early: ${r.status} ${r.text}`);
      remaining.push(Number(r.headers.get("ratelimit-remaining")));
    }
    expect(remaining[0]).toBe(LIMITS.requests - 1);
    expect(remaining.at(-1)).toBe(0);
    const refused = await post({ query: "{ __typename }" }, { authorization: `Bearer ${token}` });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("ratelimit-limit")).toBe(String(LIMITS.requests));
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    expect(codes(refused)).toEqual(["RATE_LIMITED"]);
    // Another caller is not affected.
    expect((await post({ query: "{ __typename }" }, { authorization: `Bearer ${adminToken}` })).status).toBe(200);
  });

  it(`sign-in: attempt ${LIMITS.login + 1} from one address gets 429, not before`, async () => {
    const headers = { "content-type": "application/json", "x-forwarded-for": "198.51.100.23" };
    const attempt = () =>
      fetch(`${platform.url}/auth/login`, {
        method: "POST",
        headers,
        body: JSON.stringify({ email: ADMIN.email, password: "wrong-password" }),
      });
    for (let i = 1; i <= LIMITS.login; i++) {
      const res = await attempt();
      expect(res.status, `attempt ${i}`).not.toBe(429);
      expect(res.headers.get("ratelimit-limit")).toBe(String(LIMITS.login));
    }
    const refused = await attempt();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    // The GraphQL login mutation draws from the same bucket.
    const viaGraphql = await post(
      { query: 'mutation { login(email: "x@example.com", password: "y") { accessToken } }' },
      { "x-forwarded-for": "198.51.100.23" },
    );
    expect(viaGraphql.status).toBe(429);
    expect(codes(viaGraphql)).toEqual(["RATE_LIMITED"]);
  });
});
