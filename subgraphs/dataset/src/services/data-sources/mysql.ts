import mariadb, { type Connection, type FieldInfo } from "mariadb";
import type { CatalogColumnInfo, CatalogTableInfo, QueryLimits, QueryOutput } from "../sql/types.js";
import { parseDatabaseUrl } from "./connection.js";
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

/** MariaDB's ER_STATEMENT_TIMEOUT and MySQL's ER_QUERY_TIMEOUT. */
const TIMEOUT_ERRNOS = new Set([1969, 3024]);

const SYSTEM_SCHEMAS = ["information_schema", "mysql", "performance_schema", "sys"];

/** A MySQL or MariaDB database reached by URL with the `mariadb` connector (which speaks to both). */
export class MysqlDriver implements DatabaseDriver {
  constructor(private readonly url: string) {}

  private async connect(): Promise<Connection> {
    const { host, port, user, password, database, params } = parseDatabaseUrl(this.url);
    const ssl = params.get("ssl") ?? params.get("sslmode");
    return mariadb.createConnection({
      host,
      port,
      user,
      password,
      database,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Dates as the server's strings (no time-zone shift); exact bigints and decimals, made JSON-safe later.
      dateStrings: true,
      bigIntAsNumber: false,
      decimalAsNumber: false,
      multipleStatements: false,
      ssl:
        ssl && !/^(false|0|disable)$/i.test(ssl)
          ? { rejectUnauthorized: !/^(no-verify|prefer)$/i.test(ssl) }
          : undefined,
    });
  }

  async test(): Promise<void> {
    const conn = await this.connect();
    try {
      await conn.query("select 1");
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
  }

  async query(sql: string, limits: QueryLimits): Promise<QueryOutput> {
    let conn: Connection;
    try {
      conn = await this.connect();
    } catch (err) {
      throw unreachable("the MySQL database", err);
    }
    const started = performance.now();
    let destroyed = false;
    const destroy = () => {
      destroyed = true;
      conn.destroy();
    };
    const work = (async () => {
      // The session default covers statements the transaction does not; START TRANSACTION READ ONLY refuses writes
      // to every table, and the statement limit stops long reads on the server itself.
      await conn.query("set session transaction read only");
      const ms = Math.max(1, Math.floor(limits.timeoutMs));
      if (conn.info?.isMariaDB()) await conn.query(`set session max_statement_time = ${ms / 1000}`);
      else await conn.query(`set session max_execution_time = ${ms}`);
      await conn.query("start transaction read only");
      const stream = conn.queryStream({ sql, rowsAsArray: true });
      let fields: FieldInfo[] = [];
      stream.on("fields", (meta: FieldInfo[]) => (fields = meta));
      const rows: unknown[][] = [];
      let truncated = false;
      for await (const row of stream as AsyncIterable<unknown[]>) {
        if (rows.length === limits.limit) {
          truncated = true;
          break;
        }
        rows.push(row);
      }
      // Leaving the loop early destroys the stream mid-result: the connection is then unusable, so it is dropped
      // (which also ends the transaction) instead of rolled back.
      if (truncated) destroy();
      else await conn.query("rollback");
      return { fields, rows, truncated };
    })();
    try {
      const { fields, rows, truncated } = await withDeadline(work, limits.timeoutMs + 10_000, destroy, limits.signal);
      const names = uniqueNames(fields.map((f) => f.name()));
      return {
        columns: names.map((name, i) => ({ name, type: String(fields[i]!.type) })),
        rows: rows.map((row) => Object.fromEntries(names.map((name, i) => [name, jsonSafe(row[i])]))),
        rowCount: rows.length,
        truncated,
        elapsedMs: Math.round(performance.now() - started),
      };
    } catch (err) {
      const e = err as { errno?: number; fatal?: boolean; sqlState?: string; extensions?: unknown };
      if (e.extensions) throw err;
      if (e.errno !== undefined && TIMEOUT_ERRNOS.has(e.errno)) throw queryTimedOut(limits.timeoutMs);
      if (e.fatal || !e.sqlState) throw unreachable("the MySQL database", err);
      throw refused(stripPrefix(err));
    } finally {
      if (!destroyed) await conn.end().catch(() => conn.destroy());
    }
  }

  async introspect(onProgress: ProgressFn): Promise<CatalogTableInfo[]> {
    const conn = await this.connect();
    try {
      const { database } = parseDatabaseUrl(this.url);
      // With a database in the URL, that one; otherwise every non-system schema the user can see.
      const where = database
        ? { sql: "TABLE_SCHEMA = ?", args: [database] }
        : { sql: `TABLE_SCHEMA not in (${SYSTEM_SCHEMAS.map(() => "?").join(", ")})`, args: SYSTEM_SCHEMAS };
      const tables = await conn.query<
        { schema: string; name: string; type: string; comment: string | null; estimate: bigint | number | null }[]
      >(
        `select TABLE_SCHEMA as \`schema\`, TABLE_NAME as name, TABLE_TYPE as type, TABLE_COMMENT as comment,
                TABLE_ROWS as estimate
           from information_schema.TABLES where ${where.sql} order by TABLE_SCHEMA, TABLE_NAME`,
        where.args,
      );
      onProgress(0, tables.length);
      const columns = await conn.query<
        { schema: string; table: string; name: string; type: string; nullable: string; key: string; comment: string }[]
      >(
        `select TABLE_SCHEMA as \`schema\`, TABLE_NAME as \`table\`, COLUMN_NAME as name, COLUMN_TYPE as type,
                IS_NULLABLE as nullable, COLUMN_KEY as \`key\`, COLUMN_COMMENT as comment
           from information_schema.COLUMNS where ${where.sql}
          order by TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
        where.args,
      );
      const foreignKeys = await conn.query<
        { schema: string; table: string; column: string; refSchema: string; refTable: string; refColumn: string }[]
      >(
        `select TABLE_SCHEMA as \`schema\`, TABLE_NAME as \`table\`, COLUMN_NAME as \`column\`,
                REFERENCED_TABLE_SCHEMA as refSchema, REFERENCED_TABLE_NAME as refTable,
                REFERENCED_COLUMN_NAME as refColumn
           from information_schema.KEY_COLUMN_USAGE where ${where.sql} and REFERENCED_TABLE_NAME is not null`,
        where.args,
      );
      const byTable = new Map<string, CatalogColumnInfo[]>();
      const byName = new Map<string, CatalogColumnInfo>();
      for (const col of columns) {
        const info: CatalogColumnInfo = {
          name: col.name,
          type: col.type,
          nullable: col.nullable === "YES",
          primaryKey: col.key === "PRI",
          foreignKey: null,
          comment: cleanComment(col.comment),
        };
        const table = `${col.schema}.${col.table}`;
        byTable.set(table, [...(byTable.get(table) ?? []), info]);
        byName.set(`${table}.${col.name}`, info);
      }
      for (const fk of foreignKeys) {
        const info = byName.get(`${fk.schema}.${fk.table}.${fk.column}`);
        if (info) info.foreignKey = { schema: fk.refSchema, table: fk.refTable, column: fk.refColumn };
      }
      await conn.query("set session transaction read only");
      const mariaDb = conn.info?.isMariaDB() ?? false;
      const result: CatalogTableInfo[] = [];
      for (const table of tables) {
        const view = table.type === "VIEW";
        result.push({
          schema: table.schema,
          name: table.name,
          // MariaDB fills TABLE_COMMENT of every view with the word VIEW.
          comment: view ? null : cleanComment(table.comment),
          rowCount: await this.rowCount(conn, mariaDb, table.schema, table.name, table.estimate),
          columns: byTable.get(`${table.schema}.${table.name}`) ?? [],
        });
        onProgress(result.length, tables.length);
      }
      return result;
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
  }

  /** Exact below a million rows (InnoDB's TABLE_ROWS is a rough estimate), the estimate above. */
  private async rowCount(
    conn: Connection,
    mariaDb: boolean,
    schema: string,
    name: string,
    estimate: bigint | number | null,
  ): Promise<number | null> {
    const approx = estimate === null ? null : Number(estimate);
    if (approx !== null && approx >= EXACT_COUNT_BELOW) return approx;
    try {
      const hint = mariaDb
        ? `set statement max_statement_time = ${COUNT_TIMEOUT_MS / 1000} for `
        : `/*+ MAX_EXECUTION_TIME(${COUNT_TIMEOUT_MS}) */ `;
      const target = `${quoteIdent(schema)}.${quoteIdent(name)}`;
      const sql = mariaDb ? `${hint}select count(*) as n from ${target}` : `select ${hint}count(*) as n from ${target}`;
      const rows = await conn.query<{ n: bigint | number }[]>(sql);
      return rows[0] ? Number(rows[0].n) : approx;
    } catch {
      return approx;
    }
  }
}

function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, "``")}\``;
}

/** The connector prefixes its messages with `(conn:12, no: 1064, SQLState: 42000) `; the reason is what follows. */
function stripPrefix(err: unknown): Error {
  const e = err as { text?: string; message?: string };
  return new Error(e.text ?? e.message ?? String(err));
}
