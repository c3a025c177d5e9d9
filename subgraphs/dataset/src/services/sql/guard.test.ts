import { AppError } from "@ods/kit";
import { describe, expect, it } from "vitest";
import { checkReadOnlySql } from "./guard.js";
import type { SqlDialect } from "./types.js";

const DIALECTS: SqlDialect[] = ["postgresql", "mysql", "sqlite", "duckdb"];

/** The refusal's message, or fails when the statement passes. */
function refusal(sql: string, dialect: SqlDialect): string {
  try {
    checkReadOnlySql(sql, dialect);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("BAD_USER_INPUT");
    return (err as AppError).message;
  }
  throw new Error(`${dialect} accepted: ${sql}`);
}

describe("checkReadOnlySql accepts read-only queries", () => {
  it.each(DIALECTS)("plain selects, joins, subqueries and CTEs in %s", (dialect) => {
    expect(checkReadOnlySql("SELECT a FROM t", dialect)).toEqual({ sql: "SELECT a FROM t", tables: ["t"] });
    expect(checkReadOnlySql("select * from t join u on t.id = u.t_id where u.x > 1", dialect).tables).toEqual([
      "t",
      "u",
    ]);
    expect(
      checkReadOnlySql("SELECT * FROM (SELECT id FROM inner_t) s WHERE id IN (SELECT id FROM w)", dialect).tables,
    ).toEqual(expect.arrayContaining(["inner_t", "w"]));
    const cte = checkReadOnlySql("WITH c AS (SELECT * FROM t) SELECT * FROM c JOIN u ON c.id = u.id", dialect);
    expect(cte.tables.sort()).toEqual(["t", "u"]);
    expect(checkReadOnlySql("SeLeCt COUNT(*) FrOm Sales", dialect).tables).toEqual(["Sales"]);
    expect(checkReadOnlySql("select 1 union select 2", dialect).tables).toEqual([]);
  });

  it.each(DIALECTS)("trailing semicolons and comments in %s are trimmed", (dialect) => {
    expect(checkReadOnlySql("  select 1 ;; -- done\n", dialect).sql).toBe("select 1");
    expect(checkReadOnlySql("select 1 /* ; drop table t */", dialect).sql).toBe("select 1");
    expect(checkReadOnlySql("select 1 -- ; delete from t\n from t", dialect).tables).toEqual(["t"]);
  });

  it.each(DIALECTS)("string literals that look like SQL are fine in %s", (dialect) => {
    const checked = checkReadOnlySql("SELECT a FROM t WHERE note = '; DROP TABLE t; --' AND b = 'update'", dialect);
    expect(checked.tables).toEqual(["t"]);
    expect(checkReadOnlySql("select 'it''s; delete from t' from t", dialect).tables).toEqual(["t"]);
  });

  it("Chinese identifiers and literals", () => {
    expect(
      checkReadOnlySql(`SELECT "名字", count(*) FROM "销售" WHERE "城市" = '北京' GROUP BY 1`, "postgresql").tables,
    ).toEqual(["销售"]);
  });

  it("schema-qualified tables keep their schema", () => {
    expect(
      checkReadOnlySql("select * from public.orders o join sales.items i on o.id = i.order_id", "postgresql").tables,
    ).toEqual(["public.orders", "sales.items"]);
  });

  it("columns named like keywords when qualified, and MySQL's INSERT() string function", () => {
    expect(checkReadOnlySql("select t.update from t", "postgresql").tables).toEqual(["t"]);
    expect(checkReadOnlySql("select insert('abcdef', 2, 3, 'x') from t", "mysql").tables).toEqual(["t"]);
  });

  it("harmless functions and dollar-quoted text", () => {
    expect(checkReadOnlySql("select lower(name), coalesce(a, 0), now() from t", "postgresql").tables).toEqual(["t"]);
    expect(checkReadOnlySql("select $$a; drop table t$$ from t", "postgresql").tables).toEqual(["t"]);
  });
});

describe("checkReadOnlySql refuses", () => {
  it.each(DIALECTS)("DDL and DML in %s", (dialect) => {
    for (const sql of [
      "DROP TABLE t",
      "drop table t",
      "UPDATE t SET a = 1",
      "delete from t",
      "INSERT INTO t VALUES (1)",
      "CREATE TABLE x (a int)",
      "ALTER TABLE t ADD COLUMN b int",
      "TRUNCATE t",
      "COPY t TO '/tmp/x'",
      "PRAGMA table_info(t)",
      "ATTACH DATABASE '/tmp/x.db' AS x",
      "SET search_path = x",
      "CALL p()",
      "GRANT ALL ON t TO public",
      "EXPLAIN ANALYZE DELETE FROM t",
      "VACUUM",
      "LOAD httpfs",
      "INSTALL httpfs",
    ]) {
      expect(refusal(sql, dialect)).toMatch(/refused/);
    }
  });

  it.each(DIALECTS)("a second statement in %s, however it is hidden", (dialect) => {
    expect(refusal("select 1; delete from t", dialect)).toMatch(/more than one statement/);
    expect(refusal("select 1;\n/* x */ drop table t", dialect)).toMatch(/more than one statement/);
    expect(refusal("select 1 ;select 2", dialect)).toMatch(/more than one statement/);
    expect(refusal("SELECT * FROM t; DELETE FROM t --", dialect)).toMatch(/more than one statement/);
  });

  it("a backslash that PostgreSQL does not treat as an escape (the parser would)", () => {
    expect(refusal("select 'a\\'; delete from t; --'", "postgresql")).toMatch(/more than one statement/);
    expect(refusal("select 'a\\'; delete from t; --'", "duckdb")).toMatch(/more than one statement/);
    expect(refusal("select 'a\\'; delete from t; --'", "sqlite")).toMatch(/more than one statement/);
    // In MySQL and in PostgreSQL's E'' strings the backslash does escape, so this is one harmless string.
    expect(checkReadOnlySql("select 'a\\'; delete from t; --'", "mysql").tables).toEqual([]);
    expect(checkReadOnlySql("select E'a\\'; delete from t; --'", "postgresql").tables).toEqual([]);
  });

  it("MySQL comments the parser reads differently from the server", () => {
    // `--1` is not a comment in MySQL: this is `select 1 - -1; delete …`.
    expect(refusal("select 1 --1; delete from t", "mysql")).toMatch(/more than one statement/);
    expect(refusal("select 1 /*! ; delete from t */", "mysql")).toMatch(/executable comments/);
    expect(refusal("select 1 # ok\n; delete from t", "mysql")).toMatch(/more than one statement/);
    expect(checkReadOnlySql("select 1 # ; delete from t", "mysql").sql).toBe("select 1");
  });

  it("unterminated quotes and comments", () => {
    expect(refusal("select 'abc from t", "postgresql")).toMatch(/never closed/);
    expect(refusal("select 1 /* open", "sqlite")).toMatch(/never closed/);
    expect(refusal('select "abc from t', "mysql")).toMatch(/never closed/);
    // PostgreSQL nests block comments: the first */ does not end this one.
    expect(refusal("select 1 /* a /* b */ ; delete from t", "postgresql")).toMatch(/never closed/);
  });

  it.each(DIALECTS)("data-modifying CTEs, SELECT INTO and row locks in %s", (dialect) => {
    expect(refusal("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", dialect)).toMatch(/DELETE/);
    expect(refusal("SELECT * INTO newt FROM t", dialect)).toMatch(/INTO/);
    expect(refusal("select * from t for update", dialect)).toMatch(/UPDATE/);
  });

  it("MySQL INTO OUTFILE / DUMPFILE", () => {
    expect(refusal("select * from t into outfile '/tmp/x'", "mysql")).toMatch(/INTO/);
    expect(refusal("select * from t into dumpfile '/tmp/x'", "mysql")).toMatch(/INTO/);
  });

  it("DuckDB file, network and SQL-text functions, in any case", () => {
    for (const fn of [
      "read_csv('/etc/passwd')",
      "READ_CSV_AUTO('x.csv')",
      "read_parquet('s3://b/x.parquet')",
      "read_json('x')",
      "read_json_auto('x')",
      "read_ndjson_objects('x')",
      "read_text('/etc/hosts')",
      "read_blob('/etc/hosts')",
      "glob('/*')",
      "Query('drop table t')",
      "query_table('t')",
      "parquet_scan('x')",
      "sqlite_scan('x.db', 't')",
    ]) {
      expect(refusal(`select * from ${fn}`, "duckdb")).toMatch(/reads files, the network or runs SQL text/);
    }
    expect(refusal("select * from main.read_csv('x')", "duckdb")).toMatch(/read_csv/);
    expect(refusal("select * from t where x in (select * from read_csv ('x'))", "duckdb")).toMatch(/read_csv/);
  });

  it("PostgreSQL file, large-object, dblink and SQL-text functions", () => {
    for (const fn of [
      "pg_read_file('/etc/passwd')",
      "pg_catalog.pg_read_binary_file('x')",
      "pg_ls_dir('.')",
      "lo_import('/etc/passwd')",
      "dblink('host=x', 'select 1')",
      "dblink_exec('host=x', 'drop table t')",
      "query_to_xml('delete from t', true, true, '')",
      "set_config('transaction_read_only', 'off', true)",
      "nextval('s')",
      "pg_terminate_backend(1)",
    ]) {
      expect(refusal(`select ${fn}`, "postgresql")).toMatch(/reads files, the network or runs SQL text/);
    }
  });

  it("MySQL and SQLite file functions", () => {
    expect(refusal("select load_file('/etc/passwd')", "mysql")).toMatch(/load_file/);
    expect(refusal("SELECT LOAD_FILE('/etc/passwd') FROM t", "mysql")).toMatch(/load_file/);
    expect(refusal("select load_extension('x.so')", "sqlite")).toMatch(/load_extension/);
    expect(refusal("select readfile('/etc/passwd')", "sqlite")).toMatch(/readfile/);
    expect(refusal("select writefile('/tmp/x', 'y')", "sqlite")).toMatch(/writefile/);
  });

  it("empty input, other statements and what does not parse", () => {
    expect(refusal("", "postgresql")).toMatch(/empty/);
    expect(refusal("  ;  -- nothing", "postgresql")).toMatch(/empty/);
    expect(refusal("VALUES (1)", "postgresql")).toMatch(/starts with VALUES/);
    expect(refusal("SHOW TABLES", "mysql")).toMatch(/starts with SHOW/);
    expect(refusal("select from where", "postgresql")).toMatch(/could not be parsed/);
    expect(refusal(`select ${"1,".repeat(60_000)}1`, "postgresql")).toMatch(/longer than/);
  });

  it("keeps the reason in the per-field message", () => {
    expect.assertions(1);
    try {
      checkReadOnlySql("drop table t", "sqlite");
    } catch (err) {
      expect((err as AppError).extensions.fields).toEqual({ sql: "it starts with DROP" });
    }
  });
});
