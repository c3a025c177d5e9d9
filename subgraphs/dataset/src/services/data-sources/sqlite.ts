import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import type { CatalogTableInfo, QueryLimits, QueryOutput } from "../sql/types.js";
import { jsonSafe } from "./json-safe.js";
import { refused, uniqueNames, withDeadline, type DatabaseDriver, type ProgressFn } from "./driver.js";

const driverPath = createRequire(import.meta.url).resolve("better-sqlite3");

/**
 * The code each child process runs (CommonJS). better-sqlite3 is synchronous and cannot interrupt a statement, so
 * on the main thread a long one would stall every request of the subgraph, and in a worker thread it could not be
 * stopped (termination waits for the native call to return). A child process is killed at its deadline, at the
 * cost of some 50 ms to start. The file is opened read-only: SQLite itself then refuses every write.
 */
const CHILD_SOURCE = `
process.once("message", (job) => {
const reply = { postMessage: (msg) => process.send(msg, msg.type === "progress" ? undefined : () => process.exit(0)) };
const Database = require(job.driverPath);
const ident = (name) => '"' + String(name).replace(/"/g, '""') + '"';
let db;
try {
  db = new Database(job.path, { readonly: true, fileMustExist: true });
  if (job.op === "test") {
    db.prepare("select count(*) from sqlite_master").get();
    reply.postMessage({ type: "done", value: null });
  } else if (job.op === "query") {
    const stmt = db.prepare(job.sql);
    if (!stmt.reader) throw Object.assign(new Error("only statements that return rows can run here"), { code: "ODS_NOT_A_QUERY" });
    stmt.raw(true).safeIntegers(true);
    const columns = stmt.columns().map((c) => ({ name: c.name, type: c.type || "" }));
    const rows = [];
    let truncated = false;
    for (const row of stmt.iterate()) {
      if (rows.length === job.limit) { truncated = true; break; }
      rows.push(row);
    }
    reply.postMessage({ type: "done", value: { columns, rows, truncated } });
  } else {
    const tables = db.prepare("select name, type from sqlite_master where type in ('table', 'view') and name not like 'sqlite\\\\_%' escape '\\\\' order by name").all();
    reply.postMessage({ type: "progress", done: 0, total: tables.length });
    const info = db.prepare("select name, type, \\"notnull\\" as not_null, pk from pragma_table_info(?) order by cid");
    const fks = db.prepare('select "from", "table", "to" from pragma_foreign_key_list(?)');
    const result = [];
    for (const t of tables) {
      const cols = info.all(t.name);
      const columns = cols.map((c) => ({ name: c.name, type: c.type || "", nullable: !c.not_null && !(c.pk > 0 && t.type === "table" && /^integer$/i.test(c.type)), primaryKey: c.pk > 0, foreignKey: null, comment: null }));
      for (const fk of t.type === "table" ? fks.all(t.name) : []) {
        const col = columns.find((c) => c.name === fk.from);
        if (!col) continue;
        let to = fk.to;
        if (to == null) {
          const pk = info.all(fk.table).filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk)[0];
          to = pk ? pk.name : "rowid";
        }
        col.foreignKey = { schema: "main", table: fk.table, column: to };
      }
      let rowCount = null;
      try { rowCount = Number(db.prepare("select count(*) as n from " + ident(t.name)).get().n); } catch {}
      result.push({ schema: "main", name: t.name, comment: null, rowCount, columns });
      reply.postMessage({ type: "progress", done: result.length, total: tables.length });
    }
    reply.postMessage({ type: "done", value: result });
  }
} catch (err) {
  reply.postMessage({ type: "error", message: String(err && err.message || err), code: err && err.code });
} finally {
  if (db) db.close();
}
});
`;

type ChildMessage =
  | { type: "done"; value: unknown }
  | { type: "progress"; done: number; total: number }
  | { type: "error"; message: string; code?: string };

/** A failure SQLite reported (the message is SQLite's, the code e.g. `SQLITE_NOTADB`). */
export class SqliteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "SqliteError";
  }
}

/** A SQLite file on this machine, read through better-sqlite3 in a child process. */
export class SqliteDriver implements DatabaseDriver {
  constructor(private readonly path: string) {}

  private run<T>(
    data: Record<string, unknown>,
    deadline: { ms: number; signal?: AbortSignal; onTimeout?: () => Error },
    onProgress?: ProgressFn,
  ): Promise<T> {
    // Advanced serialisation carries bigints and byte arrays, which JSON cannot.
    const child = spawn(process.execPath, ["-e", CHILD_SOURCE], {
      stdio: ["ignore", "ignore", "ignore", "ipc"],
      serialization: "advanced",
    });
    const work = new Promise<T>((resolve, reject) => {
      child.on("message", (msg: ChildMessage) => {
        if (msg.type === "progress") onProgress?.(msg.done, msg.total);
        else if (msg.type === "done") resolve(msg.value as T);
        else reject(new SqliteError(msg.message, msg.code));
      });
      child.on("error", reject);
      // 'exit' can come before the child's last message has been read from the IPC channel (the child exits as
      // soon as its answer is written): wait for the channel to close, then for the messages it delivered.
      child.on("exit", (code, signal) => {
        const fail = () =>
          setImmediate(() => reject(new Error(`The SQLite reader stopped (${signal ?? `exit code ${code}`})`)));
        if (child.connected) child.once("disconnect", fail);
        else fail();
      });
    });
    child.send({ ...data, driverPath, path: this.path });
    const stop = () => void (child.exitCode === null && child.kill("SIGKILL"));
    return withDeadline(work, deadline.ms, stop, deadline.signal, deadline.onTimeout).finally(stop);
  }

  async test(): Promise<void> {
    await this.run({ op: "test" }, { ms: 10_000 });
  }

  async introspect(onProgress: ProgressFn): Promise<CatalogTableInfo[]> {
    return this.run<CatalogTableInfo[]>({ op: "introspect" }, { ms: 10 * 60_000 }, onProgress);
  }

  async query(sql: string, limits: QueryLimits): Promise<QueryOutput> {
    const started = performance.now();
    try {
      const { columns, rows, truncated } = await this.run<{
        columns: { name: string; type: string }[];
        rows: unknown[][];
        truncated: boolean;
      }>({ op: "query", sql, limit: limits.limit }, { ms: limits.timeoutMs, signal: limits.signal });
      const names = uniqueNames(columns.map((c) => c.name));
      return {
        columns: names.map((name, i) => ({ name, type: columns[i]!.type })),
        rows: rows.map((row) => Object.fromEntries(names.map((name, i) => [name, jsonSafe(row[i])]))),
        rowCount: rows.length,
        truncated,
        elapsedMs: Math.round(performance.now() - started),
      };
    } catch (err) {
      throw err instanceof SqliteError ? refused(err) : err;
    }
  }
}
