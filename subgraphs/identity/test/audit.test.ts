import {
  createLogger,
  openDatabase,
  signInternalToken,
  startSubgraph,
  type Caller,
  type RunningSubgraph,
} from "@ods/kit";
import type { MikroORM } from "@mikro-orm/core";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditEvent } from "../src/entities/index.js";
import { migrations } from "../src/migrations/index.js";
import { mountRoutes } from "../src/routes.js";
import { entities, schemaOptions } from "../src/schema.js";
import { createIdentityServices, type IdentityServices } from "../src/services/index.js";

const secret = "audit-test-secret-0123456789abcdef";
const admin: Caller = { userId: "admin-1", roles: ["admin"] };
const editor: Caller = { userId: "editor-1", roles: ["editor"] };
const service: Caller = { roles: [], service: "dataset" };
let dir: string;
let orm: MikroORM;
let services: IdentityServices;
let subgraph: RunningSubgraph;
let base: string;

async function gql(query: string, variables: Record<string, unknown>, caller: Caller) {
  const res = await fetch(subgraph.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-ods-internal-token": await signInternalToken(secret, caller) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: Record<string, any>; errors?: { extensions: { code: string } }[] };
}

async function post(events: unknown, caller: Caller | null = service) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (caller) headers["x-ods-internal-token"] = await signInternalToken(secret, caller);
  return fetch(`${base}/internal/audit`, { method: "POST", headers, body: JSON.stringify({ events }) });
}

const event = (over: Record<string, unknown> = {}) => ({
  action: "datasource.deleted",
  category: "data",
  outcome: "success",
  actorType: "user",
  actorId: "user-7",
  resourceType: "DataSource",
  resourceId: "ds-1",
  at: new Date().toISOString(),
  ...over,
});

const LIST = `query ($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { action category outcome actorType actorId resourceType resourceId ip details at } }
  }
}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ods-identity-audit-"));
  orm = await openDatabase({ name: "identity", dataDir: dir, entities, migrations });
  const logger = createLogger("identity-audit-test", "silent");
  services = createIdentityServices({
    secret,
    accessTtlSeconds: 900,
    session: { refreshTtlSeconds: 3600, reuseGraceSeconds: 0 },
    throttle: { maxFailures: 5, ipMaxFailures: 20, baseSeconds: 30, maxSeconds: 900 },
    logger,
    audit: { days: 90, securityDays: 365 },
  });
  await services.tokens.init(orm.em.fork());
  services.audit.start(orm);
  subgraph = await startSubgraph({
    ...schemaOptions,
    name: "identity",
    port: 0,
    internalSecret: secret,
    orm,
    logger,
    services,
    routes: (app) => mountRoutes(app, { orm, services, internalSecret: secret }),
    onClose: () => services.audit.stop(),
  });
  base = subgraph.url.replace(/\/graphql$/, "");
});

afterAll(async () => {
  await subgraph?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("POST /internal/audit", () => {
  it("refuses a call without an internal token, or with a user's token instead of a service's", async () => {
    expect((await post([event()], null)).status).toBe(401);
    expect((await post([event()], admin)).status).toBe(403);
  });

  it("refuses an invalid batch with the field at fault, and stores nothing of it", async () => {
    const before = await orm.em.fork().count(AuditEvent);
    const res = await post([event(), event({ action: "Not An Action", outcome: "maybe" })]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("BAD_USER_INPUT");
    expect(body.error.message).toMatch(/events\.1\.action/);
    expect(body.error.message).toMatch(/events\.1\.outcome/);
    expect((await post([])).status).toBe(400);
    expect(await orm.em.fork().count(AuditEvent)).toBe(before);
  });

  it("stores a valid batch, redacting secret-looking details", async () => {
    const res = await post([
      event({ resourceId: "ds-stored", details: { name: "sales", password: "hunter2hunter2" } }),
    ]);
    expect(res.status).toBe(202);
    const row = await orm.em.fork().findOneOrFail(AuditEvent, { resourceId: "ds-stored" });
    expect(row.details).toEqual({ name: "sales", password: "[redacted]" });
  });
});

describe("auditEvents", () => {
  beforeAll(async () => {
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();
    const batch = [
      event({ action: "sql.run", actorId: "alice", resourceType: "Dataset", resourceId: "q-1", at: at(1) }),
      event({ action: "sql.run", actorId: "alice", resourceType: "Dataset", resourceId: "q-1", at: at(2) }),
      event({
        action: "sql.run",
        actorId: "bob",
        outcome: "failure",
        resourceType: "Dataset",
        resourceId: "q-1",
        at: at(3),
      }),
      event({
        action: "model.updated",
        category: "model",
        actorId: "bob",
        resourceType: "Model",
        resourceId: "q-2",
        at: at(4),
      }),
      event({
        action: "workflow.run",
        category: "workflow",
        actorId: "alice",
        resourceType: "Workflow",
        resourceId: "q-3",
        at: at(5),
      }),
    ];
    expect((await post(batch)).status).toBe(202);
  });

  it("is for admins only: others get FORBIDDEN, anonymous callers UNAUTHENTICATED", async () => {
    expect((await gql(LIST, {}, editor)).errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    expect((await gql(LIST, {}, { roles: [] })).errors?.[0]?.extensions.code).toBe("UNAUTHENTICATED");
  });

  it("filters by action, actor, outcome, category, resource and time, newest first", async () => {
    const list = async (filter: Record<string, unknown>) => {
      const r = await gql(LIST, { filter }, admin);
      expect(r.errors).toBeUndefined();
      return r.data!.auditEvents as { totalCount: number; edges: { node: Record<string, any> }[] };
    };
    const sql = await list({ action: "sql.run", resourceId: "q-1" });
    expect(sql.totalCount).toBe(3);
    expect(sql.edges.map((e) => e.node.at)).toEqual([
      "2026-01-01T00:03:00.000Z",
      "2026-01-01T00:02:00.000Z",
      "2026-01-01T00:01:00.000Z",
    ]);
    expect(
      (await list({ actorId: "bob", since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z" })).totalCount,
    ).toBe(2);
    const failed = await list({ outcome: "FAILURE", resourceType: "Dataset" });
    expect(failed.edges.map((e) => e.node.actorId)).toEqual(["bob"]);
    expect(failed.edges[0]!.node.outcome).toBe("FAILURE");
    expect((await list({ category: "WORKFLOW", resourceId: "q-3" })).edges[0]!.node.action).toBe("workflow.run");
    const window = await list({
      resourceType: "Dataset",
      since: "2026-01-01T00:02:00Z",
      until: "2026-01-01T00:03:00Z",
    });
    expect(window.edges.map((e) => e.node.at)).toEqual(["2026-01-01T00:02:00.000Z"]);
    const bad = await gql(LIST, { filter: { since: "2026-02-01T00:00:00Z", until: "2026-01-01T00:00:00Z" } }, admin);
    expect(bad.errors?.[0]?.extensions.code).toBe("BAD_USER_INPUT");
  });

  it("pages with first and after", async () => {
    const filter = { since: "2026-01-01T00:00:00Z", until: "2026-01-02T00:00:00Z" };
    const first = (await gql(LIST, { filter, first: 2 }, admin)).data!.auditEvents;
    expect(first.totalCount).toBe(5);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await gql(LIST, { filter, first: 10, after: first.pageInfo.endCursor }, admin)).data!.auditEvents;
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const all = [...first.edges, ...rest.edges].map((e: any) => e.node.at);
    expect(all).toHaveLength(5);
    expect([...all].sort().reverse()).toEqual(all);
  });

  it("records the identity subgraph's own actions, such as a failed and a good sign-in, with the address", async () => {
    const em = orm.em.fork();
    await services.users.create(em, { email: "audit-login@example.com", name: "A", password: "a long password" });
    await expect(
      services.users.login(em.fork(), "audit-login@example.com", "wrong password", { ip: "203.0.113.9" }),
    ).rejects.toThrow();
    const ok = await services.users.login(em.fork(), "audit-login@example.com", "a long password", {
      ip: "203.0.113.9",
    });
    await services.audit.flush();
    const failed = (await gql(LIST, { filter: { action: "auth.login_failed" } }, admin)).data!.auditEvents.edges;
    expect(failed[0].node).toMatchObject({
      outcome: "FAILURE",
      actorType: "ANONYMOUS",
      ip: "203.0.113.9",
      category: "SECURITY",
    });
    expect(failed[0].node.details).toMatchObject({ email: "audit-login@example.com", reason: "credentials" });
    const good = (await gql(LIST, { filter: { action: "auth.login", actorId: ok.user.id } }, admin)).data!.auditEvents;
    expect(good.totalCount).toBe(1);
    expect(JSON.stringify([failed, good])).not.toContain("a long password");
    expect(JSON.stringify([failed, good])).not.toContain("wrong password");
  });
});

describe("GET /api/audit/events.csv", () => {
  const csv = async (query: string, caller: Caller) =>
    fetch(`${base}/api/audit/events.csv?${query}`, {
      headers: { authorization: `Bearer ${await signInternalToken(secret, caller)}` },
    });

  it("exports the filtered events as CSV, newest first, to admins only", async () => {
    expect((await csv("", editor)).status).toBe(403);
    expect((await fetch(`${base}/api/audit/events.csv`)).status).toBe(401);
    const res = await csv("action=sql.run&resourceId=q-1&outcome=success", admin);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await res.text()).trim().split("\r\n");
    expect(lines[0]).toBe("at,action,category,outcome,actorType,actorId,resourceType,resourceId,ip,requestId,details");
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 2).join(","))).toEqual([
      "2026-01-01T00:02:00.000Z,sql.run",
      "2026-01-01T00:01:00.000Z,sql.run",
    ]);
    expect((await csv("since=not-a-date", admin)).status).toBe(400);
  });

  it("quotes fields and defuses spreadsheet formulas", async () => {
    await post([event({ resourceId: "=HYPERLINK(1)", details: { note: 'a "quoted", value' } })]);
    const text = await (await csv("resourceType=DataSource&resourceId=%3DHYPERLINK(1)", admin)).text();
    const row = text.trim().split("\r\n")[1]!;
    expect(row).toContain(",'=HYPERLINK(1),");
    expect(row).toContain('"{""note"":""a \\""quoted\\"", value""}"');
  });
});

describe("retention", () => {
  it("deletes events past the limit and keeps security events for their longer limit", async () => {
    const now = new Date("2030-06-01T00:00:00Z");
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
    await post([
      event({ action: "sql.run", resourceId: "ret-data-old", at: daysAgo(91) }),
      event({ action: "sql.run", resourceId: "ret-data-new", at: daysAgo(89) }),
      event({ action: "auth.login", category: "security", resourceId: "ret-sec-mid", at: daysAgo(200) }),
      event({ action: "auth.login", category: "security", resourceId: "ret-sec-old", at: daysAgo(366) }),
    ]);
    await services.audit.prune(orm.em.fork(), now);
    const left = await orm.em.fork().find(AuditEvent, { resourceId: { $like: "ret-%" } });
    expect(left.map((e) => e.resourceId).sort()).toEqual(["ret-data-new", "ret-sec-mid"]);
  });
});
