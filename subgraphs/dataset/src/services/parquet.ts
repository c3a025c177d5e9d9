import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { ObjectStore } from "@ods/kit";
import { InferError } from "./infer-error.js";
import type { ColumnSpec, ColumnType } from "./infer-schema.js";

/** A row of a dataset: column name → JSON-safe value (`null` when empty). */
export type Row = Record<string, unknown>;

/**
 * Runs `fn` with a path on this machine's disk holding the object: the file itself when the store is a local
 * folder, else a temporary copy streamed from the store and removed afterwards (DuckDB reads local files only).
 */
export async function withLocalFile<T>(store: ObjectStore, key: string, fn: (path: string) => Promise<T>): Promise<T> {
  const local = store.localPath?.(key);
  if (local) {
    const found = await stat(local).catch(() => undefined);
    if (found?.isFile()) return fn(local);
  }
  const dir = await mkdtemp(join(tmpdir(), "ods-dataset-file-"));
  try {
    const path = join(dir, "data");
    await pipeline(await store.get(key), createWriteStream(path));
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A quoted SQL string literal; the paths are ours, but a quote in a file name must not break the statement. */
export const sqlString = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Runs `fn` on a fresh in-memory DuckDB connection, closed afterwards. */
export async function withDuckDb<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  try {
    return await fn(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The column type a DuckDB type maps to. */
export function columnTypeOfDuckDb(type: string): ColumnType {
  const t = type.toUpperCase();
  if (/^(U?TINYINT|U?SMALLINT|U?INTEGER|U?BIGINT|U?HUGEINT|INT\d*)$/.test(t)) return "INTEGER";
  if (/^(DOUBLE|FLOAT|REAL|DECIMAL.*)$/.test(t)) return "FLOAT";
  if (t === "BOOLEAN") return "BOOLEAN";
  if (t === "DATE") return "DATE";
  if (t.startsWith("TIMESTAMP")) return "TIMESTAMP";
  return "STRING";
}

async function describe(connection: DuckDBConnection, path: string): Promise<ColumnSpec[]> {
  try {
    const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)})`);
    return reader.getRowObjectsJson().map((r) => ({
      name: String(r.column_name),
      type: columnTypeOfDuckDb(String(r.column_type)),
      nullable: r.null !== "NO",
    }));
  } catch (err) {
    throw new InferError(`the file is not valid Parquet: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** The columns of a Parquet file, from its footer (the data is not read). */
export function parquetSchema(path: string): Promise<ColumnSpec[]> {
  return withDuckDb((connection) => describe(connection, path));
}

/** The number of rows of a Parquet file, from its row-group metadata. */
export function parquetRowCount(path: string): Promise<number> {
  return withDuckDb(async (connection) => {
    await describe(connection, path);
    const reader = await connection.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM read_parquet(${sqlString(path)})`);
    return Number(reader.getRowObjectsJson()[0]!.n);
  });
}

/** A DuckDB JSON value typed by its column: safe integers as numbers (DuckDB's JSON gives big ones as text). */
function jsonValue(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  if (type === "INTEGER" && typeof value === "string" && /^-?\d+$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  if (type === "FLOAT" && typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) {
    return Number(value);
  }
  return value;
}

/**
 * Streams the rows of a Parquet file from row `offset` on, chunk by chunk (DuckDB reads only the row groups it
 * needs), typed by `columns` and keyed by their names. Stop iterating at any time.
 */
export async function* parquetRows(path: string, columns: ColumnSpec[], offset = 0): AsyncGenerator<Row> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  try {
    const actual = new Set((await describe(connection, path)).map((c) => c.name));
    const result = await connection.stream(
      `SELECT * FROM read_parquet(${sqlString(path)}) OFFSET ${Math.max(0, Math.floor(offset))}`,
    );
    for await (const rows of result.yieldRowObjectJson()) {
      for (const raw of rows) {
        yield Object.fromEntries(
          columns.map((c) => [c.name, actual.has(c.name) ? jsonValue(raw[c.name], c.type) : null]),
        );
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
