import Database from "better-sqlite3";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, bootPlatform, gql, gqlOk, login, type Platform } from "./harness.js";

/** Secrets this test sends; none may appear in any audit event. */
const WRONG_PASSWORD = "wrong-password-for-audit";
const DB_PASSWORD = "Db-Passw0rd-never-logged";

const EVENTS = `query($filter: AuditEventFilter, $first: Int) {
  auditEvents(filter: $filter, first: $first) {
    totalCount
    edges { node { id action category outcome actorType actorId resourceType resourceId ip requestId details at } }
  }
}`;

let platform: Platform;
let token: string;
let adminId: string;
/** Outside the platform's data folder, whose files may not be data sources. */
let sourceDir: string;

async function events(filter: Record<string, unknown>) {
  const data = await gqlOk(platform, EVENTS, { filter, first: 100 }, token);
  return (data.auditEvents.edges as { node: Record<string, any> }[]).map((e) => e.node);
}

beforeAll(async () => {
  sourceDir = await mkdtemp(join(tmpdir(), "ods-audit-source-"));
  // Every log line, requests included, so the secret scan below reads what an operator's logs would hold.
  platform = await bootPlatform({ ODS_LOG_LEVEL: "debug" });
  token = await login(platform);
  adminId = (await gqlOk(platform, "{ me { id } }", {}, token)).me.id;
});

afterAll(async () => {
  await platform?.stop();
  await rm(sourceDir, { recursive: true, force: true });
});

describe("audit log", () => {
  it("records failed and good sign-ins with the client's address, over REST and GraphQL", async () => {
    const viaGraphql = await gql(
      platform,
      "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }",
      { email: ADMIN.email, password: WRONG_PASSWORD },
    );
    expect(viaGraphql.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const res = await fetch(`${platform.url}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: ADMIN.email, password: WRONG_PASSWORD }),
    });
    expect(res.status).toBe(401);
    await expect.poll(async () => (await events({ action: "auth.login_failed" })).length, { timeout: 10_000 }).toBe(2);
    const [failed, failedOverGraphql] = await events({ action: "auth.login_failed" });
    // The GraphQL login reaches identity through the gateway, which forwards the client's address beside its token.
    expect(failedOverGraphql!.ip).toMatch(/127\.0\.0\.1/);
    expect(failed).toMatchObject({
      outcome: "FAILURE",
      category: "SECURITY",
      actorType: "ANONYMOUS",
      actorId: adminId,
    });
    expect(failed!.ip).toMatch(/127\.0\.0\.1/);
    expect(failed!.details).toMatchObject({ email: ADMIN.email, reason: "credentials" });
    const good = await events({ action: "auth.login", actorId: adminId, outcome: "SUCCESS" });
    expect(good.length).toBeGreaterThan(0);
  });

  it("records data source changes and SQL runs from the dataset subgraph, successes and failures", async () => {
    const file = join(sourceDir, "audit-source.db");
    const db = new Database(file);
    db.exec("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);");
    db.close();
    const { registerDataSource } = await gqlOk(
      platform,
      "mutation($input: RegisterDataSourceInput!) { registerDataSource(input: $input) { id } }",
      { input: { name: "Audited", kind: "SQLITE", connection: { path: file } } },
      token,
    );
    const sourceId = registerDataSource.id as string;
    const sql = "SELECT n FROM t ORDER BY n";
    const run = await gqlOk(
      platform,
      "mutation($input: RunSqlInput!) { runSql(input: $input) { rowCount } }",
      { input: { dataSourceId: sourceId, sql } },
      token,
    );
    expect(run.runSql.rowCount).toBe(3);
    const refused = await gql(
      platform,
      "mutation($input: RegisterDataSourceInput!) { registerDataSource(input: $input) { id } }",
      {
        input: {
          name: "Unreachable",
          kind: "POSTGRES",
          connection: { url: `postgres://audit_user:${DB_PASSWORD}@127.0.0.1:9/nowhere` },
        },
      },
      token,
    );
    expect(refused.errors?.length).toBeGreaterThan(0);
    await gqlOk(platform, "mutation($id: ID!) { deleteDataSource(id: $id) }", { id: sourceId }, token);

    // The dataset subgraph sends its events in batches, a moment after the actions.
    await expect
      .poll(async () => (await events({ resourceType: "DataSource", resourceId: sourceId })).map((e) => e.action))
      .toEqual(["datasource.deleted", "sql.run", "datasource.registered"]);
    const trail = await events({ resourceType: "DataSource", resourceId: sourceId });
    for (const e of trail) {
      expect(e).toMatchObject({ actorId: adminId, actorType: "USER", category: "DATA" });
      expect(e.ip).toMatch(/127\.0\.0\.1/);
    }
    expect(trail[1]!.details).toMatchObject({ sql, rows: 3 });
    expect(trail[1]!.details.sqlSha256).toMatch(/^[0-9a-f]{64}$/);
    const failures = await events({ action: "datasource.registered", outcome: "FAILURE" });
    expect(failures.map((e) => e.details.name)).toContain("Unreachable");
  });

  it("records dataset registration, changes and deletion", async () => {
    const csv = "city,amount\nOslo,3\n";
    const { createUploadUrl } = await gqlOk(
      platform,
      "mutation($input: CreateUploadUrlInput!) { createUploadUrl(input: $input) { url method headers key } }",
      { input: { fileName: "audited.csv", contentType: "text/csv", size: csv.length } },
      token,
    );
    const put = await fetch(new URL(createUploadUrl.url, platform.url), {
      method: createUploadUrl.method,
      headers: createUploadUrl.headers,
      body: csv,
    });
    expect(put.ok).toBe(true);
    const { registerDataset } = await gqlOk(
      platform,
      "mutation($input: RegisterDatasetInput!) { registerDataset(input: $input) { id } }",
      { input: { name: "Audited sales", storagePath: createUploadUrl.key } },
      token,
    );
    const id = registerDataset.id as string;
    await gqlOk(
      platform,
      'mutation($id: ID!) { updateDataset(id: $id, input: { description: "checked" }) { id } }',
      { id },
      token,
    );
    await gqlOk(platform, "mutation($id: ID!) { deleteDataset(id: $id) }", { id }, token);
    await expect
      .poll(async () => (await events({ resourceType: "Dataset", resourceId: id })).map((e) => e.action))
      .toEqual(["dataset.deleted", "dataset.updated", "dataset.registered"]);
    const [, updated, registered] = await events({ resourceType: "Dataset", resourceId: id });
    expect(registered!.details).toMatchObject({ name: "Audited sales" });
    expect(updated!.details).toMatchObject({ fields: ["description"] });
  });

  it("is for admins only", async () => {
    await gqlOk(
      platform,
      `mutation { createUser(input: { email: "audit-viewer@example.com", name: "V", password: "viewer-password" }) { id } }`,
      {},
      token,
    );
    const viewer = await login(platform, { email: "audit-viewer@example.com", password: "viewer-password" });
    const res = await gql(platform, EVENTS, {}, viewer);
    expect(res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const csv = await fetch(`${platform.url}/api/audit/events.csv`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(csv.status).toBe(403);
  });

  it("exports as CSV through the gateway, and no event holds a password or key", async () => {
    const res = await fetch(`${platform.url}/api/audit/events.csv?category=data`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const text = await res.text();
    expect(text).toContain("datasource.deleted");
    expect(text).not.toContain("auth.login");
    const all = await (
      await fetch(`${platform.url}/api/audit/events.csv`, { headers: { authorization: `Bearer ${token}` } })
    ).text();
    expect(all.split("\r\n").length).toBeGreaterThan(5);
    for (const secret of [WRONG_PASSWORD, DB_PASSWORD, ADMIN.password, "viewer-password", token]) {
      expect(all).not.toContain(secret);
    }
  });

  it("writes no password, key or token into any process's log", () => {
    const logs = platform.logs.join("\n");
    expect(logs).toContain("[identity]"); // every process logged (debug level)
    for (const secret of [WRONG_PASSWORD, DB_PASSWORD, ADMIN.password, "viewer-password", token]) {
      expect(logs).not.toContain(secret);
    }
  });
});
