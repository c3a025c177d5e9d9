import pg from "pg";
import type { CatalogColumnInfo, CatalogTableInfo, QueryLimits, QueryOutput } from "../sql/types.js";
import { jsonSafe } from "./json-safe.js";
import {
  cleanComment,
  CONNECT_TIMEOUT_MS,
  COUNT_TIMEOUT_MS,
  EXACT_COUNT_BELOW,
  queryTimedOut,
  refused,
  uniqueNames,
  unreachable,
  withDeadline,
  type DatabaseDriver,
  type ProgressFn,
} from "./driver.js";

/** SQLSTATE of "canceling statement due to statement timeout". */
const QUERY_CANCELED = "57014";

const INT8 = 20;
const DATE = 1082;
const TIMESTAMP = 1114;

// Dates and zone-less timestamps stay the strings the server sent: turning them into JS Dates would shift them by
// this process's time zone. int8 becomes a number when exact.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === DATE || oid === TIMESTAMP) return (value: string) => value;
    if (oid === INT8) {
      return (value: string) => (Number.isSafeInteger(Number(value)) ? Number(value) : value);
    }
    return pg.types.getTypeParser(oid, format as "text");
  }) as pg.CustomTypesConfig["getTypeParser"],
};

/** A PostgreSQL database reached by URL with the `pg` client. */
export class PostgresDriver implements DatabaseDriver {
  constructor(private readonly url: string) {}

  private async connect(timeoutMs?: number): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: "one-data-studio",
      types,
      // The client-side backstop for a server that stops answering; the server's statement_timeout comes first.
      query_timeout: timeoutMs === undefined ? undefined : timeoutMs + 5_000,
    });
    // A dropped connection emits 'error' on the client; without a listener that would crash the process.
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  async test(): Promise<void> {
    const client = await this.connect();
    try {
      await client.query("select 1");
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async query(sql: string, limits: QueryLimits): Promise<QueryOutput> {
    let client: pg.Client;
    try {
      client = await this.connect(limits.timeoutMs);
    } catch (err) {
      throw unreachable("the PostgreSQL database", err);
    }
    const started = performance.now();
    const close = () => void client.end().catch(() => undefined);
    const work = (async () => {
      // A read-only transaction refuses every write, including from functions the statement calls; the cursor
      // lets us fetch limit + 1 rows without the server sending (or computing) the rest.
      await client.query("begin read only");
      await client.query(`set local statement_timeout = ${Math.max(1, Math.floor(limits.timeoutMs))}`);
      // The extended protocol refuses several statements in one string, so nothing can follow the cursor's query
      // (a `; commit; update …` would otherwise end the read-only transaction).
      await client.query({
        text: `declare ods_query no scroll cursor for ${stripTrailingSemicolons(sql)}`,
        queryMode: "extended",
      } as pg.QueryConfig);
      const result = await client.query({ text: `fetch forward ${limits.limit + 1} from ods_query`, rowMode: "array" });
      const typeNames = await this.typeNames(
        client,
        result.fields.map((f) => f.dataTypeID),
      );
      await client.query("rollback");
      return { result, typeNames };
    })();
    try {
      const { result, typeNames } = await withDeadline(work, limits.timeoutMs + 10_000, close, limits.signal);
      const names = uniqueNames(result.fields.map((f) => f.name));
      const truncated = result.rows.length > limits.limit;
      const rows = (result.rows as unknown[][])
        .slice(0, limits.limit)
        .map((row) => Object.fromEntries(names.map((name, i) => [name, jsonSafe(row[i])])));
      return {
        columns: names.map((name, i) => ({ name, type: typeNames.get(result.fields[i]!.dataTypeID) ?? "unknown" })),
        rows,
        rowCount: rows.length,
        truncated,
        elapsedMs: Math.round(performance.now() - started),
      };
    } catch (err) {
      throw this.queryError(err, limits.timeoutMs);
    } finally {
      close();
    }
  }

  private queryError(err: unknown, timeoutMs: number): Error {
    const code = (err as { code?: unknown }).code;
    if (code === QUERY_CANCELED) return queryTimedOut(timeoutMs);
    // SQLSTATEs are five characters; anything else (ECONNRESET, a read timeout) is the connection failing.
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return refused(err);
    if (err instanceof Error && "extensions" in err) return err;
    return unreachable("the PostgreSQL database", err);
  }

  private async typeNames(client: pg.Client, oids: number[]): Promise<Map<number, string>> {
    if (oids.length === 0) return new Map();
    const { rows } = await client.query<{ oid: number; name: string }>(
      "select oid::int as oid, format_type(oid, null) as name from pg_type where oid = any($1::oid[])",
      [[...new Set(oids)]],
    );
    return new Map(rows.map((r) => [r.oid, r.name]));
  }

  async introspect(onProgress: ProgressFn): Promise<CatalogTableInfo[]> {
    const client = await this.connect(60_000);
    try {
      await client.query("begin read only");
      const { rows: tables } = await client.query<{
        oid: number;
        schema: string;
        name: string;
        comment: string | null;
        estimate: number;
      }>(
        `select c.oid::int as oid, n.nspname as schema, c.relname as name,
                obj_description(c.oid, 'pg_class') as comment, c.reltuples::float8 as estimate
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relkind in ('r', 'p', 'v', 'm', 'f') and not c.relispartition
            and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%'
            and n.nspname not like 'pg\\_temp%' and has_table_privilege(c.oid, 'select')
          order by n.nspname, c.relname`,
      );
      onProgress(0, tables.length);
      const oids = tables.map((t) => t.oid);
      const { rows: columns } = await client.query<{
        table: number;
        num: number;
        name: string;
        type: string;
        nullable: boolean;
        comment: string | null;
      }>(
        `select a.attrelid::int as table, a.attnum::int as num, a.attname as name,
                format_type(a.atttypid, a.atttypmod) as type, not a.attnotnull as nullable,
                col_description(a.attrelid, a.attnum) as comment
           from pg_attribute a
          where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
          order by a.attrelid, a.attnum`,
        [oids],
      );
      const { rows: keys } = await client.query<{
        table: number;
        kind: string;
        column: string;
        ref_schema: string | null;
        ref_table: string | null;
        ref_column: string | null;
      }>(
        `select c.conrelid::int as table, c.contype as kind, a.attname as column,
                fn.nspname as ref_schema, fc.relname as ref_table, fa.attname as ref_column
           from pg_constraint c
          cross join lateral unnest(c.conkey, coalesce(c.confkey, c.conkey)) as k(col, ref)
           join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.col
           left join pg_class fc on c.contype = 'f' and fc.oid = c.confrelid
           left join pg_namespace fn on fn.oid = fc.relnamespace
           left join pg_attribute fa on c.contype = 'f' and fa.attrelid = c.confrelid and fa.attnum = k.ref
          where c.contype in ('p', 'f') and c.conrelid = any($1::oid[])`,
        [oids],
      );
      const byTable = new Map<number, CatalogColumnInfo[]>();
      const byNum = new Map<string, CatalogColumnInfo>();
      for (const col of columns) {
        const info: CatalogColumnInfo = {
          name: col.name,
          type: col.type,
          nullable: col.nullable,
          primaryKey: false,
          foreignKey: null,
          comment: cleanComment(col.comment),
        };
        byTable.set(col.table, [...(byTable.get(col.table) ?? []), info]);
        byNum.set(`${col.table}:${col.name}`, info);
      }
      for (const key of keys) {
        const info = byNum.get(`${key.table}:${key.column}`);
        if (!info) continue;
        if (key.kind === "p") info.primaryKey = true;
        else if (key.ref_table && key.ref_column) {
          info.foreignKey = { schema: key.ref_schema ?? undefined, table: key.ref_table, column: key.ref_column };
        }
      }
      const result: CatalogTableInfo[] = [];
      for (const table of tables) {
        result.push({
          schema: table.schema,
          name: table.name,
          comment: cleanComment(table.comment),
          rowCount: await this.rowCount(client, table.schema, table.name, table.estimate),
          columns: byTable.get(table.oid) ?? [],
        });
        onProgress(result.length, tables.length);
      }
      await client.query("rollback");
      return result;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * The exact count for small tables (and for tables never analysed, whose estimate is -1); the planner's estimate
   * for large ones. A count that fails or takes too long leaves the estimate, or null.
   */
  private async rowCount(client: pg.Client, schema: string, name: string, estimate: number): Promise<number | null> {
    if (estimate >= EXACT_COUNT_BELOW) return Math.round(estimate);
    try {
      await client.query("savepoint ods_count");
      await client.query(`set local statement_timeout = ${COUNT_TIMEOUT_MS}`);
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::float8 as n from ${quoteIdent(schema)}.${quoteIdent(name)}`,
      );
      await client.query("release savepoint ods_count");
      return rows[0]?.n ?? null;
    } catch {
      await client.query("rollback to savepoint ods_count");
      return estimate >= 0 ? Math.round(estimate) : null;
    }
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A trailing `;` is fine alone but not inside `declare … for <query>`. */
export function stripTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, "");
}
