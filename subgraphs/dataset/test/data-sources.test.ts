import "reflect-metadata";
import { mkdtemp, rm } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Caller } from "@ods/kit";
import Database from "better-sqlite3";
import mariadb from "mariadb";
import pg from "pg";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataSource } from "../src/entities/index.js";
import { startHarness, type Harness } from "./harness.js";

const editor: Caller = { userId: "11111111-1111-4111-8111-111111111111", roles: ["editor"] };
const otherEditor: Caller = { userId: "22222222-2222-4222-8222-222222222222", roles: ["editor"] };
const admin: Caller = { userId: "33333333-3333-4333-8333-333333333333", roles: ["admin"] };

const PG_URL = "postgres://postgres@127.0.0.1:5432";
const MARIA_URL = "mysql://root@127.0.0.1:3306";
const scratchDb = `ods_ds_test_${process.pid}`;

let h: Harness;
const gql: Harness["gql"] = (caller, query, variables) => h.gql(caller, query, variables);
const ok: Harness["ok"] = (caller, query, variables) => h.ok(caller, query, variables);

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterDataSourceInput!) {
    registerDataSource(input: $input) {
      id
      name
      kind
      connection {
        host
        port
        database
        user
        path
        endpoint
        region
      }
    }
  }
`;

interface Registered {
  id: string;
  kind: string;
  connection: Record<string, unknown>;
}

async function register(caller: Caller, input: Record<string, unknown>): Promise<Registered> {
  const data = await ok<{ registerDataSource: Registered }>(caller, REGISTER, { input });
  await h.services.dataSources.idle();
  return data.registerDataSource;
}

const SOURCE = /* GraphQL */ `
  query Source($id: ID!, $search: String) {
    dataSource(id: $id) {
      id
      catalogRefreshedAt
      catalogRefresh {
        status
        progress
        tablesDone
        tablesTotal
        error
      }
      tables(search: $search) {
        schema
        name
        comment
        rowCount
        columns {
          name
          type
          nullable
          primaryKey
          comment
          foreignKey {
            table
            column
          }
        }
      }
    }
  }
`;

interface CatalogTableResult {
  schema: string | null;
  name: string;
  comment: string | null;
  rowCount: number | null;
  columns: {
    name: string;
    type: string;
    nullable: boolean;
    primaryKey: boolean;
    comment: string | null;
    foreignKey: { table: string; column: string } | null;
  }[];
}

interface SourceResult {
  dataSource: {
    id: string;
    catalogRefreshedAt: string | null;
    catalogRefresh: { status: string; progress: number; tablesDone: number; tablesTotal: number; error: string | null };
    tables: CatalogTableResult[];
  } | null;
}

/** Calls the service directly, as the runSql and askData resolvers do. */
function query(caller: Caller, id: string, sql: string, limit = 100, timeoutMs = 5_000) {
  return h.services.dataSources.query(h.orm.em.fork(), caller, id, sql, { limit, timeoutMs });
}

/** The catalog checks every database shares: keys, comments, row counts, progress. */
function expectShopCatalog(result: SourceResult, comments: boolean) {
  const source = result.dataSource!;
  expect(source.catalogRefresh).toMatchObject({ status: "SUCCEEDED", progress: 1, tablesDone: 3, tablesTotal: 3 });
  expect(source.catalogRefreshedAt).not.toBeNull();
  const byName = Object.fromEntries(source.tables.map((t) => [t.name, t]));
  expect(Object.keys(byName).sort()).toEqual(["customers", "big_orders", "orders"].sort());
  const orders = byName.orders!;
  expect(orders.rowCount).toBe(50);
  const id = orders.columns.find((c) => c.name === "id")!;
  expect(id.primaryKey).toBe(true);
  const customerId = orders.columns.find((c) => c.name === "customer_id")!;
  expect(customerId.foreignKey).toEqual({ table: "customers", column: "id" });
  expect(customerId.primaryKey).toBe(false);
  expect(orders.columns.find((c) => c.name === "note")!.nullable).toBe(true);
  expect(byName.customers!.columns.find((c) => c.name === "email")!.nullable).toBe(false);
  if (comments) {
    expect(orders.comment).toBe("Orders placed in the shop");
    expect(customerId.comment).toBe("Who ordered");
  }
}

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

describe("registration", () => {
  it("refuses a connection that fails, with the driver's reason", async () => {
    const refused = await gql(editor, REGISTER, {
      input: { name: "nowhere", kind: "POSTGRES", connection: { url: "postgres://postgres@127.0.0.1:1/db" } },
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(refused.errors?.[0]?.message).toMatch(
      /^Cannot connect to the PostgreSQL database at 127\.0\.0\.1:1\/db: .*ECONNREFUSED/,
    );

    const badShape = await gql(editor, REGISTER, { input: { name: "s3", kind: "S3", connection: { endpoint: "x" } } });
    expect(badShape.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(badShape.errors?.[0]?.extensions?.fields ?? {})).toEqual(
      expect.arrayContaining(["connection.endpoint", "connection.accessKey", "connection.secretKey"]),
    );

    const wrongUrl = await gql(editor, REGISTER, {
      input: { name: "x", kind: "MYSQL", connection: { url: "postgres://h/db" } },
    });
    expect(wrongUrl.errors?.[0]?.extensions?.fields?.["connection.url"]).toMatch(/mysql:\/\//);
  });

  it("refuses SQLite files from non-admins and from the platform's data folder", async () => {
    const path = join(h.dir, "dataset.sqlite");
    const forbidden = await gql(editor, REGISTER, { input: { name: "own", kind: "SQLITE", connection: { path } } });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const inside = await gql(admin, REGISTER, { input: { name: "own", kind: "SQLITE", connection: { path } } });
    expect(inside.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(inside.errors?.[0]?.message).toMatch(/data folder/);
  });

  it("refuses a file that is not a SQLite database", async () => {
    const path = join(tmpdir(), `ods-not-sqlite-${process.pid}.txt`);
    await import("node:fs/promises").then((fs) => fs.writeFile(path, "hello, this is text and not a database at all"));
    try {
      const res = await gql(admin, REGISTER, { input: { name: "text", kind: "SQLITE", connection: { path } } });
      expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0]?.message).toMatch(/not a database/);
    } finally {
      await rm(path, { force: true });
    }
  });
});

describe("PostgreSQL source", () => {
  let admin_: pg.Client | undefined;
  let scratch: pg.Client | undefined;
  let sourceId: string;

  beforeAll(async () => {
    const client = new pg.Client({ connectionString: `${PG_URL}/postgres`, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
    } catch (err) {
      console.warn(`Skipping the PostgreSQL tests: ${PG_URL} is unreachable (${(err as Error).message})`);
      return;
    }
    admin_ = client;
    await client.query(`drop database if exists ${scratchDb}`);
    await client.query(`create database ${scratchDb}`);
    scratch = new pg.Client({ connectionString: `${PG_URL}/${scratchDb}` });
    await scratch.connect();
    await scratch.query(`
      create table customers (id serial primary key, email text not null);
      create table orders (id int primary key, customer_id int references customers(id), amount numeric(10,2),
                           note text, placed date);
      create table big_orders as select * from orders;
      comment on table orders is 'Orders placed in the shop';
      comment on column orders.customer_id is 'Who ordered';
      insert into customers (email) select 'c' || g || '@example.com' from generate_series(1, 5) g;
      insert into orders select g, 1 + g % 5, g * 1.5, null, date '2024-01-01' + g from generate_series(1, 50) g;
    `);
    sourceId = (
      await register(editor, {
        name: "shop",
        kind: "POSTGRES",
        connection: { url: `postgres://postgres:s3cret-password@127.0.0.1:5432/${scratchDb}` },
      })
    ).id;
  });

  afterAll(async () => {
    await scratch?.end();
    if (admin_) {
      await admin_.query(`drop database if exists ${scratchDb} with (force)`);
      await admin_.end();
    }
  });

  it("stores the catalog with keys, comments and row counts, and never returns the password", async (ctx) => {
    if (!scratch) return ctx.skip();
    const res = await gql<SourceResult>(editor, SOURCE, { id: sourceId });
    expect(res.errors).toBeUndefined();
    expectShopCatalog(res.data!, true);
    const all = await ok(
      editor,
      `query { dataSources { totalCount edges { node { id connection { host port database user } } } } }`,
    );
    expect(JSON.stringify(all)).toContain(scratchDb);
    expect(JSON.stringify([res, all])).not.toContain("s3cret-password");
    const stored = await h.orm.em
      .fork()
      .findOneOrFail(DataSource, { id: sourceId }, { populate: ["encryptedConnection"] });
    expect(stored.encryptedConnection).not.toContain("s3cret");
    expect(stored.encryptedConnection).toMatch(/^v2:/);
  });

  it("hides the source from other users", async (ctx) => {
    if (!scratch) return ctx.skip();
    expect((await ok<SourceResult>(otherEditor, SOURCE, { id: sourceId })).dataSource).toBeNull();
    await expect(query(otherEditor, sourceId, "select 1")).rejects.toMatchObject({ extensions: { code: "NOT_FOUND" } });
    expect((await ok<SourceResult>(admin, SOURCE, { id: sourceId })).dataSource?.id).toBe(sourceId);
  });

  it("runs a query with column types, JSON-safe values and truncation", async (ctx) => {
    if (!scratch) return ctx.skip();
    const out = await query(
      editor,
      sourceId,
      "select id, amount, placed, id::bigint as big from orders order by id",
      10,
    );
    expect(out.truncated).toBe(true);
    expect(out.rowCount).toBe(10);
    expect(out.columns).toEqual([
      { name: "id", type: "integer" },
      { name: "amount", type: "numeric" },
      { name: "placed", type: "date" },
      { name: "big", type: "bigint" },
    ]);
    expect(out.rows[0]).toEqual({ id: 1, amount: "1.50", placed: "2024-01-02", big: 1 });
    const all = await query(editor, sourceId, "select id from orders;", 50);
    expect(all).toMatchObject({ rowCount: 50, truncated: false });
  });

  it("refuses writes sent straight to query and changes nothing", async (ctx) => {
    if (!scratch) return ctx.skip();
    for (const sql of [
      "update orders set amount = 0",
      "select nextval('customers_id_seq')",
      "select 1; commit; update orders set amount = 0",
    ]) {
      await expect(query(editor, sourceId, sql)).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    }
    const { rows } = await scratch.query("select count(*)::int as n from orders where amount = 0");
    expect(rows[0].n).toBe(0);
    const seq = await scratch.query("select last_value::int as v from customers_id_seq");
    expect(seq.rows[0].v).toBe(5);
  });

  it("stops a statement at its timeout", async (ctx) => {
    if (!scratch) return ctx.skip();
    const started = Date.now();
    await expect(query(editor, sourceId, "select pg_sleep(5)", 10, 300)).rejects.toMatchObject({
      extensions: { code: "BAD_USER_INPUT", reason: "TIMEOUT" },
    });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("gives the dialect and the stored catalog to the SQL side, and searches it", async (ctx) => {
    if (!scratch) return ctx.skip();
    const em = h.orm.em.fork();
    expect(await h.services.dataSources.dialect(em, editor, sourceId)).toBe("postgresql");
    const catalog = await h.services.dataSources.catalog(em, editor, sourceId);
    expect(catalog.map((t) => t.name).sort()).toEqual(["big_orders", "customers", "orders"]);
    await expect(h.services.dataSources.s3Store(em, editor, sourceId, "bucket")).rejects.toMatchObject({
      extensions: { code: "BAD_USER_INPUT" },
    });
    const found = await ok<{ searchCatalog: { name: string; dataSource: { id: string } }[] }>(
      editor,
      `query { searchCatalog(query: "who ordered") { name dataSource { id } } }`,
    );
    expect(found.searchCatalog.map((t) => t.name)).toEqual(["orders"]);
    const byColumn = await ok<{ searchCatalog: { name: string }[] }>(
      editor,
      `query { searchCatalog(query: "email") { name } }`,
    );
    expect(byColumn.searchCatalog.map((t) => t.name)).toEqual(["customers"]);
    const none = await ok<{ searchCatalog: unknown[] }>(
      otherEditor,
      `query { searchCatalog(query: "orders") { name } }`,
    );
    expect(none.searchCatalog).toEqual([]);
  });

  it("refreshes the catalog as a job and keeps it while the source is down", async (ctx) => {
    if (!scratch) return ctx.skip();
    await scratch.query("create table refunds (id int primary key)");
    const job = await ok<{ refreshCatalog: { id: string; status: string } }>(
      editor,
      `mutation R($id: ID!) { refreshCatalog(dataSourceId: $id) { id status } }`,
      { id: sourceId },
    );
    expect(["QUEUED", "RUNNING"]).toContain(job.refreshCatalog.status);
    await h.services.dataSources.idle();
    const status = await ok<{ catalogRefreshStatus: { status: string; tablesTotal: number } }>(
      editor,
      `query S($id: ID!) { catalogRefreshStatus(jobId: $id) { status tablesTotal } }`,
      { id: job.refreshCatalog.id },
    );
    expect(status.catalogRefreshStatus).toEqual({ status: "SUCCEEDED", tablesTotal: 4 });
    const refunds = await ok<SourceResult>(editor, SOURCE, { id: sourceId, search: "refunds" });
    expect(refunds.dataSource!.tables.map((t) => t.name)).toEqual(["refunds"]);
  });
});

describe("MySQL/MariaDB source", () => {
  let conn: mariadb.Connection | undefined;
  let sourceId: string;

  beforeAll(async () => {
    try {
      conn = await mariadb.createConnection({ host: "127.0.0.1", port: 3306, user: "root", connectTimeout: 2000 });
    } catch (err) {
      console.warn(`Skipping the MariaDB tests: ${MARIA_URL} is unreachable (${(err as Error).message})`);
      return;
    }
    await conn.query(`drop database if exists ${scratchDb}`);
    await conn.query(`create database ${scratchDb}`);
    await conn.query(`use ${scratchDb}`);
    await conn.query("create table customers (id int auto_increment primary key, email varchar(200) not null)");
    await conn.query(`create table orders (id int primary key,
      customer_id int comment 'Who ordered', amount decimal(10,2), note text, placed date,
      foreign key (customer_id) references customers(id)) comment 'Orders placed in the shop'`);
    await conn.query("create table big_orders (id bigint)");
    await conn.query("insert into customers (email) values ('a@x'), ('b@x'), ('c@x'), ('d@x'), ('e@x')");
    await conn.query("insert into orders select seq, 1 + seq % 5, seq * 1.5, null, '2024-01-02' from seq_1_to_50");
    sourceId = (
      await register(editor, { name: "shop-maria", kind: "MYSQL", connection: { url: `${MARIA_URL}/${scratchDb}` } })
    ).id;
  });

  afterAll(async () => {
    if (conn) {
      await conn.query(`drop database if exists ${scratchDb}`);
      await conn.end();
    }
  });

  it("stores the catalog with keys, comments and row counts", async (ctx) => {
    if (!conn) return ctx.skip();
    const res = await ok<SourceResult>(editor, SOURCE, { id: sourceId });
    expectShopCatalog(res, true);
    expect(await h.services.dataSources.dialect(h.orm.em.fork(), editor, sourceId)).toBe("mysql");
  });

  it("runs a query read-only with truncation", async (ctx) => {
    if (!conn) return ctx.skip();
    const out = await query(editor, sourceId, "select id, amount, placed from orders order by id desc", 5);
    expect(out).toMatchObject({ rowCount: 5, truncated: true });
    expect(out.rows[0]).toEqual({ id: 50, amount: "75.00", placed: "2024-01-02" });
    expect(out.columns.map((c) => c.name)).toEqual(["id", "amount", "placed"]);
    expect(await query(editor, sourceId, "select count(*) as n from orders")).toMatchObject({
      rows: [{ n: 50 }],
      truncated: false,
    });
    await expect(query(editor, sourceId, "update orders set amount = 0")).rejects.toMatchObject({
      extensions: { code: "BAD_USER_INPUT" },
    });
    await expect(query(editor, sourceId, "select 1; update orders set amount = 0")).rejects.toMatchObject({
      extensions: { code: "BAD_USER_INPUT" },
    });
    const rows = await conn.query<{ n: bigint }[]>(`select count(*) as n from ${scratchDb}.orders where amount = 0`);
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it("stops a statement at its timeout", async (ctx) => {
    if (!conn) return ctx.skip();
    const started = Date.now();
    await expect(
      query(editor, sourceId, "select sum(a.seq * b.seq) from seq_1_to_1000000 a, seq_1_to_100000 b", 10, 300),
    ).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT", reason: "TIMEOUT" } });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("SQLite source", () => {
  let path: string;
  let sourceId: string;

  beforeAll(async () => {
    const folder = await mkdtemp(join(tmpdir(), "ods-sqlite-source-"));
    path = join(folder, "shop.db");
    const db = new Database(path);
    db.exec(`
      create table customers (id integer primary key, email text not null);
      create table orders (id integer primary key, customer_id integer references customers, amount real, note text,
                           placed text);
      create table big_orders (id integer);
      with recursive g(n) as (select 1 union all select n + 1 from g where n < 5)
        insert into customers select n, 'c' || n || '@example.com' from g;
      with recursive g(n) as (select 1 union all select n + 1 from g where n < 50)
        insert into orders select n, 1 + n % 5, n * 1.5, null, '2024-01-02' from g;
    `);
    db.close();
    sourceId = (await register(admin, { name: "shop-sqlite", kind: "SQLITE", connection: { path } })).id;
  });

  afterAll(async () => {
    await rm(join(path, ".."), { recursive: true, force: true });
  });

  it("stores the catalog with keys and exact row counts", async () => {
    const res = await ok<SourceResult>(admin, SOURCE, { id: sourceId });
    expectShopCatalog(res, false);
    expect(await h.services.dataSources.dialect(h.orm.em.fork(), admin, sourceId)).toBe("sqlite");
  });

  it("runs a query read-only with truncation and a timeout", async () => {
    const out = await query(admin, sourceId, "select id, amount, id * 3000000000 as big from orders order by id", 3);
    expect(out).toMatchObject({ rowCount: 3, truncated: true });
    expect(out.rows[0]).toEqual({ id: 1, amount: 1.5, big: 3000000000 });
    await expect(query(admin, sourceId, "delete from orders")).rejects.toMatchObject({
      extensions: { code: "BAD_USER_INPUT" },
    });
    await expect(query(admin, sourceId, "select 1; delete from orders")).rejects.toMatchObject({
      extensions: { code: "BAD_USER_INPUT" },
    });
    const db = new Database(path, { readonly: true });
    expect((db.prepare("select count(*) as n from orders").get() as { n: number }).n).toBe(50);
    db.close();
    const started = Date.now();
    await expect(
      query(
        admin,
        sourceId,
        "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c",
        10,
        300,
      ),
    ).rejects.toMatchObject({ extensions: { reason: "TIMEOUT" } });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("deletes the source with its catalog", async () => {
    const id = (await register(admin, { name: "shop-sqlite-2", kind: "SQLITE", connection: { path } })).id;
    await ok(admin, `mutation D($id: ID!) { deleteDataSource(id: $id) }`, { id });
    expect((await ok<SourceResult>(admin, SOURCE, { id })).dataSource).toBeNull();
    const found = await ok<{ searchCatalog: { dataSource: { id: string } }[] }>(
      admin,
      `query { searchCatalog(query: "orders") { dataSource { id } } }`,
    );
    expect(found.searchCatalog.map((t) => t.dataSource.id)).not.toContain(id);
  });
});

describe("S3 source", () => {
  let server: S3rver;
  let folder: string;
  let endpoint: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "ods-s3-source-"));
    server = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: folder,
      configureBuckets: [{ name: "lake", configs: [] }],
    });
    const { port } = (await server.run()) as unknown as { port: number };
    endpoint = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await server?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it("tests the keys at registration and hands out a store per bucket", async () => {
    const wrong = await gql(editor, REGISTER, {
      input: { name: "lake", kind: "S3", connection: { endpoint, accessKey: "NOBODY", secretKey: "wrong" } },
    });
    expect(wrong.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(wrong.errors?.[0]?.message).toMatch(
      /^Cannot connect to the S3 endpoint at http:\/\/127\.0\.0\.1:\d+: .*(access key|signature)/i,
    );

    const source = await register(editor, {
      name: "lake",
      kind: "S3",
      connection: { endpoint, accessKey: "S3RVER", secretKey: "S3RVER" },
    });
    expect(source.connection).toMatchObject({ endpoint, region: "us-east-1", user: "S3RVER", host: "127.0.0.1" });
    expect(JSON.stringify(source)).not.toContain("secretKey");

    const em = h.orm.em.fork();
    const store = await h.services.dataSources.s3Store(em, editor, source.id, "lake");
    await store.put("sales/2024.csv", "a,b\n1,2\n");
    expect(await text(await store.get("sales/2024.csv"))).toBe("a,b\n1,2\n");
    await expect(h.services.dataSources.s3Store(em, otherEditor, source.id, "lake")).rejects.toMatchObject({
      extensions: { code: "NOT_FOUND" },
    });
    await expect(h.services.dataSources.dialect(em, editor, source.id)).rejects.toMatchObject({
      extensions: { code: "BAD_USER_INPUT" },
    });
  });
});
