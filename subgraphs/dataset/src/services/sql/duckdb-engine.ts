import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { AppError, badInput, ErrorCode, type ObjectStore } from "@ods/kit";
import type { DatasetFormat } from "../../entities/dataset.js";
import { toUtf8, type TextEncoding } from "../text-encoding.js";
import type { QueryLimits, QueryOutput } from "./types.js";

/** A file the engine exposes as a table (what `DatasetService.sqlSources` returns for each dataset). */
export interface SqlTableSource {
  /** The name SQL uses for it; becomes a view. */
  tableName: string;
  format: `${DatasetFormat}`;
  store: ObjectStore;
  key: string;
  /** Known CSV dialect; DuckDB sniffs it when absent. Text not in UTF-8 is converted on a temporary copy. */
  csv?: { delimiter: string; header: boolean; quote?: string; encoding?: string };
}

/**
 * The failure of a statement stopped at its deadline: BAD_USER_INPUT (the statement asked for too much) with
 * `reason: "TIMEOUT"`, the same shape the database executors use.
 */
export const queryTimedOut = (ms: number) =>
  new AppError(ErrorCode.BAD_USER_INPUT, `The query ran longer than ${ms} ms and was stopped`, { reason: "TIMEOUT" });

const INTEGER_TYPES = new Set(["BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT"]);

/** `name` as a DuckDB identifier. */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteText = (text: string) => `'${text.replace(/'/g, "''")}'`;

function readerCall(source: SqlTableSource, path: string): string {
  const file = quoteText(path);
  switch (source.format) {
    case "CSV":
      return source.csv
        ? `read_csv(${file}, delim = ${quoteText(source.csv.delimiter)}, header = ${source.csv.header}${
            source.csv.quote ? `, quote = ${quoteText(source.csv.quote)}` : ""
          })`
        : `read_csv(${file})`;
    case "JSONL":
      return `read_json(${file}, format = 'newline_delimited')`;
    case "JSON":
      return `read_json(${file}, format = 'array')`;
    case "PARQUET":
      return `read_parquet(${file})`;
  }
}

/**
 * Runs one already-checked statement over files, each seen as a view named by its `tableName`.
 *
 * @remarks Every call gets its own in-memory DuckDB, thrown away afterwards, so nothing a statement does can
 * outlive it. The views are created by this function (never by the user's SQL) over local paths: the object
 * store's own file when it is a local folder, else a temporary copy. Then only those files stay readable
 * (`allowed_paths`), all other file and network access is switched off (`enable_external_access = false`) and
 * the configuration is locked, so even a statement that slipped past the guard cannot read `/etc/passwd`,
 * attach a database or turn access back on. At most `limit + 1` rows are read, which sets `truncated`; the
 * connection is interrupted at the deadline. BIGINT values become numbers when they fit in a double exactly
 * and strings otherwise; dates, timestamps and decimals come back as text.
 *
 * @throws BAD_USER_INPUT when a file cannot be read or DuckDB rejects the statement (with DuckDB's reason), and
 * with `reason: "TIMEOUT"` at the deadline or when `signal` aborts.
 */
export async function runDuckDbQuery(
  sources: SqlTableSource[],
  sql: string,
  limits: QueryLimits,
): Promise<QueryOutput> {
  const [output] = await runDuckDbQueries(sources, [sql], limits);
  return output!;
}

/**
 * Like {@link runDuckDbQuery} for several statements in one session (the views are set up once); `limits` apply
 * to each statement's rows and to the session as a whole for time.
 */
export async function runDuckDbQueries(
  sources: SqlTableSource[],
  statements: string[],
  limits: QueryLimits,
): Promise<QueryOutput[]> {
  let tempDir: string | undefined;
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  let connection: DuckDBConnection | undefined;
  let timedOut = false;
  const interrupt = () => {
    timedOut = true;
    connection?.interrupt();
  };
  const timer = setTimeout(interrupt, limits.timeoutMs);
  limits.signal?.addEventListener("abort", interrupt, { once: true });
  try {
    connection = await instance.connect();
    const paths: string[] = [];
    for (const source of sources) {
      const encoding = source.csv?.encoding?.toLowerCase();
      // DuckDB reads UTF-8 only (other encodings need an extension that cannot be downloaded here).
      const convert = source.format !== "PARQUET" && encoding && encoding !== "utf-8" && encoding !== "utf8";
      let path = convert ? undefined : source.store.localPath?.(source.key);
      if (!path) {
        tempDir ??= await mkdtemp(join(tmpdir(), "ods-duckdb-"));
        path = join(tempDir, `${paths.length}-${source.key.split("/").at(-1) ?? "data"}`);
        const body = await source.store.get(source.key);
        await pipeline(convert ? toUtf8(body, encoding as TextEncoding) : body, createWriteStream(path));
      }
      paths.push(path);
      try {
        await connection.run(
          `CREATE VIEW ${quoteIdent(source.tableName)} AS SELECT * FROM ${readerCall(source, path)}`,
        );
      } catch (err) {
        if (timedOut) throw queryTimedOut(limits.timeoutMs);
        throw badInput(`Cannot read dataset table ${source.tableName} as ${source.format}: ${duckMessage(err)}`);
      }
    }
    if (paths.length > 0) await connection.run(`SET allowed_paths = [${paths.map(quoteText).join(", ")}]`);
    await connection.run("SET enable_external_access = false");
    await connection.run("SET lock_configuration = true");
    const outputs: QueryOutput[] = [];
    for (const sql of statements) {
      if (timedOut) throw queryTimedOut(limits.timeoutMs);
      outputs.push(await runOne(connection, sql, limits.limit, () => timedOut, limits.timeoutMs));
    }
    return outputs;
  } finally {
    clearTimeout(timer);
    limits.signal?.removeEventListener("abort", interrupt);
    connection?.closeSync();
    instance.closeSync();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

async function runOne(
  connection: DuckDBConnection,
  sql: string,
  limit: number,
  timedOut: () => boolean,
  timeoutMs: number,
): Promise<QueryOutput> {
  const started = performance.now();
  let reader;
  try {
    reader = await connection.streamAndReadUntil(sql, limit + 1);
  } catch (err) {
    if (timedOut()) throw queryTimedOut(timeoutMs);
    throw badInput(`The query failed: ${duckMessage(err)}`, { sql: duckMessage(err) });
  }
  const names = reader.deduplicatedColumnNames();
  const types = reader.columnTypes().map((t) => t.toString());
  const truncated = reader.currentRowCount > limit;
  const rows = reader
    .getRowObjectsJson()
    .slice(0, limit)
    .map((row) => {
      for (let c = 0; c < names.length; c++) {
        const name = names[c]!;
        const value = row[name];
        if (typeof value === "string" && INTEGER_TYPES.has(types[c]!)) {
          const n = Number(value);
          if (Number.isSafeInteger(n)) row[name] = n;
        }
      }
      return row as Record<string, unknown>;
    });
  return {
    columns: names.map((name, c) => ({ name, type: types[c]! })),
    rows,
    rowCount: rows.length,
    truncated,
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** DuckDB's message without the "LINE 1: …" excerpt, which repeats the statement. */
function duckMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split(/\n\s*\nLINE \d+:/)[0]!.trim();
}
