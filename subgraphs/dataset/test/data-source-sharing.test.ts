import "reflect-metadata";
import { staticUserDirectory, type Caller } from "@ods/kit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatasetShare } from "../src/entities/index.js";
import { startHarness, type Harness } from "./harness.js";

const owner: Caller = { userId: "a1111111-1111-4111-8111-111111111111", roles: ["editor"] };
const colleague: Caller = { userId: "b2222222-2222-4222-8222-222222222222", roles: ["editor"] };
const stranger: Caller = { userId: "c3333333-3333-4333-8333-333333333333", roles: ["editor"] };
const reader: Caller = { userId: "d4444444-4444-4444-8444-444444444444", roles: ["viewer"] };

const directory = staticUserDirectory([
  { id: owner.userId!, email: "owner@example.com", name: "Owner", disabled: false },
  { id: colleague.userId!, email: "colleague@example.com", name: "Colleague", disabled: false },
  { id: stranger.userId!, email: "stranger@example.com", name: "Stranger", disabled: false },
  { id: reader.userId!, email: "reader@example.com", name: "Reader", disabled: false },
]);

const PASSWORD = "sharing-s3cret-pw";
const PG_URL = `postgres://postgres:${PASSWORD}@127.0.0.1:5432/test`;

let h: Harness;
let pgReachable = false;
/** Every response body, to check at the end that the connection's password never left the server. */
const bodies: string[] = [];

const gql: Harness["gql"] = (caller, query, variables) => h.gql(caller, query, variables);
const ok: Harness["ok"] = (caller, query, variables) => h.ok(caller, query, variables);

async function code(caller: Caller, query: string, variables: Record<string, unknown> = {}): Promise<string> {
  const res = await gql(caller, query, variables);
  return res.errors?.[0]?.extensions?.code ?? "OK";
}

interface ShareResult {
  id: string;
  principalType: string;
  userId: string | null;
  email: string | null;
  role: string | null;
  permission: string;
}

const SHARE_FIELDS = "id principalType userId email role permission";
const SHARE = `mutation ($id: ID!, $input: ShareInput!) { shareDataSource(id: $id, input: $input) { ${SHARE_FIELDS} } }`;
const UNSHARE = `mutation ($id: ID!, $shareId: ID!) { unshareDataSource(id: $id, shareId: $shareId) }`;
const SOURCE = `query ($id: ID!) {
  dataSource(id: $id) { id name access connection { host user database } shares { ${SHARE_FIELDS} } }
}`;
const LIST = `query { dataSources { totalCount edges { node { id access } } } }`;
const RUN_SQL = `mutation ($id: ID!) { runSql(input: { dataSourceId: $id, sql: "select 41 + 1 as answer" }) { rows } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateDataSourceInput!) {
  updateDataSource(id: $id, input: $input) { id name connection { host user database } }
}`;
const REFRESH = `mutation ($id: ID!) { refreshCatalog(dataSourceId: $id) { id } }`;
const DELETE = `mutation ($id: ID!) { deleteDataSource(id: $id) }`;

async function registerSource(name: string): Promise<string> {
  const data = await ok<{ registerDataSource: { id: string } }>(
    owner,
    `mutation ($input: RegisterDataSourceInput!) { registerDataSource(input: $input) { id } }`,
    { input: { name, kind: "POSTGRES", connection: { url: PG_URL } } },
  );
  await h.services.dataSources.idle();
  return data.registerDataSource.id;
}

async function listedIds(caller: Caller): Promise<string[]> {
  const data = await ok<{ dataSources: { edges: { node: { id: string } }[] } }>(caller, LIST);
  return data.dataSources.edges.map((e) => e.node.id);
}

async function accessOf(caller: Caller, id: string): Promise<string | null> {
  const data = await ok<{ dataSource: { access: string } | null }>(caller, SOURCE, { id });
  return data.dataSource?.access ?? null;
}

beforeAll(async () => {
  const probe = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await probe.connect();
    pgReachable = true;
  } catch (err) {
    console.warn(`Skipping the data source sharing tests: PostgreSQL is unreachable (${(err as Error).message})`);
  } finally {
    await probe.end().catch(() => undefined);
  }
  h = await startHarness({}, { directory, onBody: (body) => bodies.push(body) });
});

afterAll(async () => {
  await h?.close();
});

describe("sharing a data source", () => {
  it("hides an unshared source from strangers: NOT_FOUND, and not in their list", async (ctx) => {
    if (!pgReachable) return ctx.skip();
    const id = await registerSource("hidden");
    expect(await accessOf(stranger, id)).toBeNull();
    expect(await listedIds(stranger)).not.toContain(id);
    expect(await code(stranger, RUN_SQL, { id })).toBe("NOT_FOUND");
    expect(await code(stranger, UPDATE, { id, input: { name: "mine now" } })).toBe("NOT_FOUND");
    expect(await code(stranger, DELETE, { id })).toBe("NOT_FOUND");
    expect(await code(stranger, SHARE, { id, input: { email: "stranger@example.com", permission: "EDITOR" } })).toBe(
      "NOT_FOUND",
    );
    expect(await accessOf(owner, id)).toBe("OWNER");
  });

  it("lets a viewer list, open and query the source, but not change, refresh, delete or share it", async (ctx) => {
    if (!pgReachable) return ctx.skip();
    const id = await registerSource("for viewers");
    const { shareDataSource: share } = await ok<{ shareDataSource: ShareResult }>(owner, SHARE, {
      id,
      input: { email: "Colleague@Example.com", permission: "VIEWER" },
    });
    expect(share).toMatchObject({
      principalType: "USER",
      userId: colleague.userId,
      email: "colleague@example.com",
      role: null,
      permission: "VIEWER",
    });

    expect(await listedIds(colleague)).toContain(id);
    expect(await accessOf(colleague, id)).toBe("VIEWER");
    const run = await ok<{ runSql: { rows: Record<string, unknown>[] } }>(colleague, RUN_SQL, { id });
    expect(run.runSql.rows).toEqual([{ answer: 42 }]);

    expect(await code(colleague, UPDATE, { id, input: { name: "renamed" } })).toBe("FORBIDDEN");
    expect(await code(colleague, REFRESH, { id })).toBe("FORBIDDEN");
    expect(await code(colleague, DELETE, { id })).toBe("FORBIDDEN");
    expect(await code(colleague, SHARE, { id, input: { role: "viewer", permission: "VIEWER" } })).toBe("FORBIDDEN");
    expect(await code(colleague, UNSHARE, { id, shareId: share.id })).toBe("FORBIDDEN");
    expect(await accessOf(owner, id)).toBe("OWNER");
  });

  it("lets an editor change the source once shared again as EDITOR, but still not delete it", async (ctx) => {
    if (!pgReachable) return ctx.skip();
    const id = await registerSource("for editors");
    await ok(owner, SHARE, { id, input: { email: "colleague@example.com", permission: "VIEWER" } });
    await ok(owner, SHARE, { id, input: { userId: colleague.userId, permission: "EDITOR" } });
    expect(await accessOf(colleague, id)).toBe("EDITOR");

    const renamed = await ok<{ updateDataSource: { name: string } }>(colleague, UPDATE, {
      id,
      input: { name: "renamed by an editor", connection: { url: PG_URL } },
    });
    expect(renamed.updateDataSource.name).toBe("renamed by an editor");
    await h.services.dataSources.idle();
    expect(await code(colleague, REFRESH, { id })).toBe("OK");
    await h.services.dataSources.idle();
    expect(await code(colleague, DELETE, { id })).toBe("FORBIDDEN");

    // One share per person: sharing again changed the permission rather than adding a second share.
    const data = await ok<{ dataSource: { shares: ShareResult[] } }>(owner, SOURCE, { id });
    expect(data.dataSource.shares).toEqual([
      expect.objectContaining({ userId: colleague.userId, permission: "EDITOR" }),
    ]);
  });

  it("shares with everyone who has a role", async (ctx) => {
    if (!pgReachable) return ctx.skip();
    const id = await registerSource("for a role");
    expect(await accessOf(reader, id)).toBeNull();
    const { shareDataSource: share } = await ok<{ shareDataSource: ShareResult }>(owner, SHARE, {
      id,
      input: { role: "viewer", permission: "VIEWER" },
    });
    expect(share).toMatchObject({ principalType: "ROLE", role: "viewer", userId: null, permission: "VIEWER" });
    expect(await listedIds(reader)).toContain(id);
    expect(await accessOf(reader, id)).toBe("VIEWER");
    expect(await accessOf(stranger, id)).toBeNull();
  });

  it("takes access away again on unshare", async (ctx) => {
    if (!pgReachable) return ctx.skip();
    const id = await registerSource("shared for a while");
    const { shareDataSource: share } = await ok<{ shareDataSource: ShareResult }>(owner, SHARE, {
      id,
      input: { email: "colleague@example.com", permission: "EDITOR" },
    });
    expect(await accessOf(colleague, id)).toBe("EDITOR");
    expect(
      (await ok<{ unshareDataSource: boolean }>(owner, UNSHARE, { id, shareId: share.id })).unshareDataSource,
    ).toBe(true);
    expect(
      (await ok<{ unshareDataSource: boolean }>(owner, UNSHARE, { id, shareId: share.id })).unshareDataSource,
    ).toBe(false);
    expect(await accessOf(colleague, id)).toBeNull();
    expect(await listedIds(colleague)).not.toContain(id);
    expect(await code(colleague, RUN_SQL, { id })).toBe("NOT_FOUND");
  });

  it("refuses an unknown email and stores nothing", async (ctx) => {
    if (!pgReachable) return ctx.skip();
    const id = await registerSource("unknown email");
    expect(await code(owner, SHARE, { id, input: { email: "nobody@example.com", permission: "VIEWER" } })).toBe(
      "BAD_USER_INPUT",
    );
    expect((await ok<{ dataSource: { shares: ShareResult[] } }>(owner, SOURCE, { id })).dataSource.shares).toEqual([]);
    expect(await h.orm.em.fork().count(DatasetShare, { resourceId: id })).toBe(0);
  });

  it("lists the shares to the owner only, and drops them when the source is deleted", async (ctx) => {
    if (!pgReachable) return ctx.skip();
    const id = await registerSource("share list");
    await ok(owner, SHARE, { id, input: { email: "colleague@example.com", permission: "EDITOR" } });
    await ok(owner, SHARE, { id, input: { role: "viewer", permission: "VIEWER" } });
    const asOwner = await ok<{ dataSource: { shares: ShareResult[] } }>(owner, SOURCE, { id });
    expect(asOwner.dataSource.shares.map((s) => s.email ?? s.role)).toEqual(["colleague@example.com", "viewer"]);
    expect((await ok<{ dataSource: { shares: ShareResult[] } }>(colleague, SOURCE, { id })).dataSource.shares).toEqual(
      [],
    );
    expect((await ok<{ dataSource: { shares: ShareResult[] } }>(reader, SOURCE, { id })).dataSource.shares).toEqual([]);

    expect((await ok<{ deleteDataSource: boolean }>(owner, DELETE, { id })).deleteDataSource).toBe(true);
    expect(await h.orm.em.fork().count(DatasetShare, { resourceId: id })).toBe(0);
    expect(await accessOf(colleague, id)).toBeNull();
  });

  it("never returns the connection's password to anyone", async (ctx) => {
    if (!pgReachable) return ctx.skip();
    const id = await registerSource("secret keeping");
    await ok(owner, SHARE, { id, input: { email: "colleague@example.com", permission: "EDITOR" } });
    for (const caller of [owner, colleague]) {
      const data = await ok<{ dataSource: { connection: { user: string; database: string } } }>(caller, SOURCE, { id });
      expect(data.dataSource.connection).toMatchObject({ user: "postgres", database: "test" });
    }
    await ok(colleague, UPDATE, { id, input: { connection: { url: PG_URL } } });
    await h.services.dataSources.idle();
    expect(bodies.length).toBeGreaterThan(10);
    expect(bodies.filter((b) => b.includes(PASSWORD))).toEqual([]);
  });
});
