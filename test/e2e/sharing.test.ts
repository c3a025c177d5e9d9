import Database from "better-sqlite3";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootPlatform, gql, gqlOk, login, type Platform } from "./harness.js";

// Sharing through the gateway: an owner shares a workflow with one person, a knowledge base with a role and a data
// source with one person; the others see nothing (NOT_FOUND), a viewer may not change, unsharing takes access away,
// and the audit log records each change.

let platform: Platform;
let admin: string;
let adminId: string;
const users: Record<"alice" | "bob" | "carol", { token: string; id: string }> = {} as never;

const code = (result: { errors?: { extensions?: { code?: string } }[] }) => result.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  platform = await bootPlatform();
  admin = await login(platform);
  adminId = (await gqlOk(platform, "{ me { id } }", {}, admin)).me.id;
  // alice and carol are editors, bob a viewer.
  for (const [name, roles] of [
    ["alice", ["EDITOR"]],
    ["bob", ["VIEWER"]],
    ["carol", ["EDITOR"]],
  ] as const) {
    const email = `${name}-sharing@example.com`;
    const { createUser } = await gqlOk(
      platform,
      "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
      { i: { email, name, password: "sharing-password-1", roles } },
      admin,
    );
    users[name] = { id: createUser.id, token: await login(platform, { email, password: "sharing-password-1" }) };
  }
});

let sourceDir: string;

afterAll(async () => {
  await platform?.stop();
  if (sourceDir) await rm(sourceDir, { recursive: true, force: true });
});

describe("sharing", () => {
  it("shares a workflow with one user: they may open it but not change it, until it is unshared", async () => {
    const { createWorkflow } = await gqlOk(
      platform,
      'mutation { createWorkflow(input: { name: "Weekly digest" }) { id } }',
      {},
      users.alice.token,
    );
    const id = createWorkflow.id as string;
    const view = "query($id: ID!) { workflow(id: $id) { id name access owner { id } } }";
    expect(code(await gql(platform, view, { id }, users.bob.token))).toBe("NOT_FOUND");

    const { shareWorkflow } = await gqlOk(
      platform,
      "mutation($id: ID!, $input: ShareInput!) { shareWorkflow(id: $id, input: $input) { id userId permission } }",
      { id, input: { email: "bob-sharing@example.com", permission: "VIEWER" } },
      users.alice.token,
    );
    expect(shareWorkflow).toMatchObject({ userId: users.bob.id, permission: "VIEWER" });

    const seen = await gqlOk(platform, view, { id }, users.bob.token);
    expect(seen.workflow).toMatchObject({ name: "Weekly digest", access: "VIEWER", owner: { id: users.alice.id } });
    const rename = await gql(
      platform,
      'mutation($id: ID!) { updateWorkflow(id: $id, input: { name: "Mine now" }) { id } }',
      { id },
      users.bob.token,
    );
    expect(code(rename)).toBe("FORBIDDEN");
    expect(code(await gql(platform, view, { id }, users.carol.token))).toBe("NOT_FOUND");

    await gqlOk(
      platform,
      "mutation($id: ID!, $s: ID!) { unshareWorkflow(id: $id, shareId: $s) }",
      { id, s: shareWorkflow.id },
      users.alice.token,
    );
    expect(code(await gql(platform, view, { id }, users.bob.token))).toBe("NOT_FOUND");
  });

  it("shares a knowledge base with a role: its members search it, others get NOT_FOUND", async () => {
    const { createKnowledgeBase } = await gqlOk(
      platform,
      'mutation { createKnowledgeBase(input: { name: "Team handbook" }) { id } }',
      {},
      users.alice.token,
    );
    const kb = createKnowledgeBase.id as string;
    await gqlOk(
      platform,
      "mutation($input: AddDocumentInput!) { addDocument(input: $input) { id } }",
      { input: { knowledgeBaseId: kb, title: "Parking", text: "Visitors park in bay 7 behind the north entrance." } },
      users.alice.token,
    );
    const search = `query($input: SearchKnowledgeBaseInput!) { searchKnowledgeBase(input: $input) { text } }`;
    const input = { knowledgeBaseId: kb, query: "Where do visitors park?", mode: "KEYWORD" };
    expect(code(await gql(platform, search, { input }, users.bob.token))).toBe("NOT_FOUND");

    await gqlOk(
      platform,
      "mutation($id: ID!, $input: ShareInput!) { shareKnowledgeBase(id: $id, input: $input) { id role } }",
      { id: kb, input: { role: "viewer", permission: "VIEWER" } },
      users.alice.token,
    );
    // Ingestion runs in the background: wait until the shared knowledge base answers the viewer.
    await expect
      .poll(
        async () =>
          ((await gqlOk(platform, search, { input }, users.bob.token)).searchKnowledgeBase as unknown[]).length,
        {
          timeout: 20_000,
        },
      )
      .toBeGreaterThan(0);
    const found = await gqlOk(platform, search, { input }, users.bob.token);
    expect(found.searchKnowledgeBase[0].text).toContain("bay 7");
    const add = await gql(
      platform,
      "mutation($input: AddDocumentInput!) { addDocument(input: $input) { id } }",
      { input: { knowledgeBaseId: kb, text: "Not allowed" } },
      users.bob.token,
    );
    expect(code(add)).toBe("FORBIDDEN");
    // carol is an editor, not a viewer: the role share is not for her.
    expect(code(await gql(platform, search, { input }, users.carol.token))).toBe("NOT_FOUND");
  });

  it("shares a data source: the viewer queries it with the owner's connection but may not change it", async () => {
    // SQLite file sources are for admins to register; the admin shares one with bob.
    sourceDir = await mkdtemp(join(tmpdir(), "ods-sharing-source-"));
    const file = join(sourceDir, "stock.db");
    const db = new Database(file);
    db.exec("CREATE TABLE stock (item TEXT, qty INTEGER); INSERT INTO stock VALUES ('kettle', 4), ('mug', 12);");
    db.close();
    const { registerDataSource } = await gqlOk(
      platform,
      "mutation($input: RegisterDataSourceInput!) { registerDataSource(input: $input) { id } }",
      { input: { name: "Stock", kind: "SQLITE", connection: { path: file } } },
      admin,
    );
    const id = registerDataSource.id as string;
    const sql = "mutation($input: RunSqlInput!) { runSql(input: $input) { rowCount rows } }";
    const query = { input: { dataSourceId: id, sql: "SELECT item, qty FROM stock ORDER BY item" } };
    expect(code(await gql(platform, sql, query, users.bob.token))).toBe("NOT_FOUND");

    await gqlOk(
      platform,
      "mutation($id: ID!, $input: ShareInput!) { shareDataSource(id: $id, input: $input) { id permission } }",
      { id, input: { email: "bob-sharing@example.com", permission: "VIEWER" } },
      admin,
    );
    const { runSql } = await gqlOk(platform, sql, query, users.bob.token);
    expect(runSql.rowCount).toBe(2);
    const seen = await gqlOk(platform, "query($id: ID!) { dataSource(id: $id) { access } }", { id }, users.bob.token);
    expect(seen.dataSource.access).toBe("VIEWER");
    const rename = await gql(
      platform,
      'mutation($id: ID!) { updateDataSource(id: $id, input: { name: "Mine" }) { id } }',
      { id },
      users.bob.token,
    );
    expect(code(rename)).toBe("FORBIDDEN");
    expect(code(await gql(platform, sql, query, users.carol.token))).toBe("NOT_FOUND");
  });

  it("records every share change in the audit log", async () => {
    const events = `query { auditEvents(filter: { action: "share.granted" }, first: 10) {
      edges { node { actorId resourceType details } } } }`;
    await expect
      .poll(async () => (await gqlOk(platform, events, {}, admin)).auditEvents.edges.length, { timeout: 10_000 })
      .toBe(3);
    const granted = (await gqlOk(platform, events, {}, admin)).auditEvents.edges.map(
      (e: { node: { actorId: string; resourceType: string } }) => e.node,
    );
    const byType = Object.fromEntries(
      granted.map((e: { actorId: string; resourceType: string }) => [e.resourceType, e.actorId]),
    );
    // alice shared her workflow and knowledge base; the admin shared the data source.
    expect(byType).toEqual({ Workflow: users.alice.id, KnowledgeBase: users.alice.id, DataSource: adminId });
  });
});
