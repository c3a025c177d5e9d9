import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, alice, registerDataset, startHarness, type Harness } from "./harness.js";

const RUN = /* GraphQL */ `
  mutation Run($input: RunSqlInput!) {
    runSql(input: $input) {
      columns {
        name
        type
      }
      rows
      rowCount
      truncated
      elapsedMs
    }
  }
`;

interface RunResult {
  runSql: {
    columns: { name: string; type: string }[];
    rows: Record<string, unknown>[];
    rowCount: number;
    truncated: boolean;
    elapsedMs: number;
  };
}

const SALES_CSV = ["id,city,amount", "1,Beijing,10.5", "2,Shanghai,7", "3,Beijing,3", "4,深圳,1"].join("\n");
const EVENTS_JSONL = ['{"id":1,"kind":"click"}', '{"id":2,"kind":"view"}', '{"id":4,"kind":"click"}'].join("\n");

let h: Harness;
let sales: { id: string; tableName: string };
let events: { id: string; tableName: string };
let sqlitePath: string;
let sourceDir: string;

async function run(input: Record<string, unknown>, caller = alice) {
  return h.gql<RunResult>(caller, RUN, { input });
}

beforeAll(async () => {
  h = await startHarness();
  await h.putObject("uploads/sql/sales.csv", SALES_CSV);
  await h.putObject("uploads/sql/events.jsonl", EVENTS_JSONL);
  sales = await registerDataset(h, "sales", "uploads/sql/sales.csv");
  events = await registerDataset(h, "events", "uploads/sql/events.jsonl");
  // Outside the platform's data folder, whose files may not be registered as sources.
  sourceDir = await mkdtemp(join(tmpdir(), "ods-sql-source-"));
  sqlitePath = join(sourceDir, "shop.sqlite");
  const db = new Database(sqlitePath);
  db.exec("create table orders (id integer primary key, city text, amount real)");
  db.exec("insert into orders (city, amount) values ('Beijing', 12), ('Shanghai', 5)");
  db.close();
});

afterAll(async () => {
  await h?.close();
  if (sourceDir) await rm(sourceDir, { recursive: true, force: true });
});

describe("runSql over datasets (DuckDB)", () => {
  it("groups a CSV dataset by its table name, with typed columns", async () => {
    const res = await run({
      datasetIds: [sales.id],
      sql: `SELECT city, SUM(amount) AS total, COUNT(*) AS n FROM ${sales.tableName} GROUP BY city ORDER BY total DESC`,
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.runSql).toMatchObject({
      rowCount: 3,
      truncated: false,
      columns: [
        { name: "city", type: "VARCHAR" },
        { name: "total", type: "DOUBLE" },
        { name: "n", type: "BIGINT" },
      ],
      rows: [
        { city: "Beijing", total: 13.5, n: 2 },
        { city: "Shanghai", total: 7, n: 1 },
        { city: "深圳", total: 1, n: 1 },
      ],
    });
    expect(res.data!.runSql.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it("joins a CSV dataset with a JSONL one, and truncates at the limit", async () => {
    const res = await run({
      datasetIds: [sales.id, events.id],
      sql: `SELECT s.id, e.kind FROM ${sales.tableName} s JOIN ${events.tableName} e ON s.id = e.id ORDER BY s.id`,
      limit: 1,
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.runSql).toMatchObject({ rows: [{ id: 1, kind: "click" }], rowCount: 1, truncated: true });
  });

  it("reads Parquet written by DuckDB", async () => {
    const path = join(h.objects, "uploads/sql/numbers.parquet");
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT range AS n, range * 2 AS doubled FROM range(100)) TO '${path}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
    const numbers = await registerDataset(h, "numbers", "uploads/sql/numbers.parquet");
    const res = await run({
      datasetIds: [numbers.id],
      sql: `SELECT sum(doubled) AS s, max(n) AS m FROM ${numbers.tableName}`,
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.runSql.rows).toEqual([{ s: 9900, m: 99 }]);
  });

  it("refuses unsafe statements and tables that are not among the datasets", async () => {
    for (const sql of [
      "SELECT * FROM read_csv('/etc/passwd')",
      `SELECT * FROM ${sales.tableName}; DROP TABLE x`,
      `DELETE FROM ${sales.tableName}`,
      `COPY ${sales.tableName} TO '/tmp/x.csv'`,
      "SELECT * FROM '/etc/passwd'",
      "ATTACH '/tmp/x.db'",
      "SELECT * FROM query('select 1')",
    ]) {
      const res = await run({ datasetIds: [sales.id], sql });
      expect(res.errors?.[0]?.extensions?.code, sql).toBe("BAD_USER_INPUT");
    }
    const unknown = await run({ datasetIds: [sales.id], sql: "SELECT * FROM secrets" });
    expect(unknown.errors?.[0]?.message).toMatch(/Unknown table secrets/);
    // Nothing changed: the file still reads as before.
    const after = await run({ datasetIds: [sales.id], sql: `SELECT count(*) AS n FROM ${sales.tableName}` });
    expect(after.data!.runSql.rows).toEqual([{ n: 4 }]);
  });

  it("stops a statement at its deadline", async () => {
    const res = await run({
      datasetIds: [sales.id],
      sql: `SELECT count(*) FROM range(100000000000) a, ${sales.tableName}`,
      timeoutMs: 300,
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "TIMEOUT" });
  });

  it("validates the input", async () => {
    const both = await run({ datasetIds: [sales.id], dataSourceId: "x", sql: "select 1" });
    expect(both.errors?.[0]?.extensions?.fields).toEqual({
      dataSourceId: "give exactly one of dataSourceId and datasetIds",
    });
    const neither = await run({ sql: "select 1" });
    expect(neither.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const limit = await run({ datasetIds: [sales.id], sql: "select 1", limit: 10_001 });
    expect(limit.errors?.[0]?.extensions?.fields).toEqual({ limit: "must be at most 10000" });
    const missing = await run({ datasetIds: ["00000000-0000-4000-8000-000000000000"], sql: "select 1" });
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});

describe("runSql over a data source", () => {
  it("runs read-only SQL on a SQLite source and refuses writes, changing nothing", async () => {
    // Only admins may register SQLite files (they are paths on the server).
    const reg = await h.gql<{ registerDataSource: { id: string } }>(
      admin,
      "mutation($input: RegisterDataSourceInput!) { registerDataSource(input: $input) { id } }",
      { input: { name: "shop", kind: "SQLITE", connection: { path: sqlitePath } } },
    );
    expect(reg.errors).toBeUndefined();
    const id = reg.data!.registerDataSource.id;
    const res = await run({ dataSourceId: id, sql: "SELECT city, amount FROM orders ORDER BY amount DESC" }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.runSql.rows).toEqual([
      { city: "Beijing", amount: 12 },
      { city: "Shanghai", amount: 5 },
    ]);
    for (const sql of [
      "UPDATE orders SET amount = 0",
      "SELECT 1; DELETE FROM orders",
      "DROP TABLE orders",
      "select readfile('/etc/passwd')",
      "ATTACH DATABASE '/tmp/x.db' AS x",
    ]) {
      const refused = await run({ dataSourceId: id, sql }, admin);
      expect(refused.errors?.[0]?.extensions?.code, sql).toBe("BAD_USER_INPUT");
    }
    const db = new Database(sqlitePath, { readonly: true });
    expect(db.prepare("select count(*) as n, sum(amount) as s from orders").get()).toEqual({ n: 2, s: 17 });
    db.close();
  });
});
