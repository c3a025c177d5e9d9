import type { EntityManager } from "@mikro-orm/core";
import { badInput, parseInput, type Caller } from "@ods/kit";
import { z } from "zod";
import { quoteIdent, runDuckDbQueries, runDuckDbQuery, type SqlTableSource } from "./duckdb-engine.js";
import { checkReadOnlySql, MAX_SQL_LENGTH, type CheckedSql } from "./guard.js";
import type { CatalogTableInfo, QueryLimits, QueryOutput, SqlDialect } from "./types.js";

/** Rows returned when the caller does not say. */
export const DEFAULT_ROW_LIMIT = 1_000;
/** The most rows one statement may return. */
export const MAX_ROW_LIMIT = 10_000;
/** Deadline when the caller does not say: 10 s. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** The longest deadline a caller may ask for: 2 min. */
export const MAX_TIMEOUT_MS = 120_000;
/** Datasets one statement may join. */
export const MAX_DATASETS = 50;

/** What `DatasetService.sqlSources` provides: the files behind datasets the caller may read. */
export interface DatasetSqlSources {
  sqlSources(em: EntityManager, caller: Caller, datasetIds: string[]): Promise<SqlTableSource[]>;
}

/** What `DataSourceService` provides: read-only execution and the stored catalog of a database source. */
export interface DataSourceQueries {
  query(
    em: EntityManager,
    caller: Caller,
    dataSourceId: string,
    sql: string,
    limits: QueryLimits,
  ): Promise<QueryOutput>;
  dialect(em: EntityManager, caller: Caller, dataSourceId: string): SqlDialect | Promise<SqlDialect>;
  catalog(em: EntityManager, caller: Caller, dataSourceId: string): Promise<CatalogTableInfo[]>;
}

/** Where a statement runs: a registered database, or DuckDB over datasets. */
export type SqlTarget =
  | { kind: "dataSource"; dataSourceId: string; dialect: SqlDialect }
  | { kind: "datasets"; datasetIds: string[]; dialect: "duckdb"; sources: SqlTableSource[] };

const id = z.string().trim().min(1, "must not be empty").max(64, "is too long");

/** Exactly one of `dataSourceId` and `datasetIds`, refined where both inputs use it. */
export const targetInput = z.object({
  dataSourceId: id.nullish(),
  datasetIds: z
    .array(id)
    .min(1, "must list at least one dataset")
    .max(MAX_DATASETS, `at most ${MAX_DATASETS} datasets`)
    .transform((ids) => [...new Set(ids)])
    .nullish(),
});

const exactlyOneTarget = (v: { dataSourceId?: string | null; datasetIds?: string[] | null }) =>
  (v.dataSourceId != null) !== (v.datasetIds != null);
const TARGET_MESSAGE = { message: "give exactly one of dataSourceId and datasetIds", path: ["dataSourceId"] };

export const runSqlInput = targetInput
  .extend({
    sql: z.string().min(1, "must not be empty").max(MAX_SQL_LENGTH, `must be at most ${MAX_SQL_LENGTH} characters`),
    limit: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(MAX_ROW_LIMIT, `must be at most ${MAX_ROW_LIMIT}`)
      .nullish()
      .transform((v) => v ?? DEFAULT_ROW_LIMIT),
    timeoutMs: z
      .number()
      .int("must be a whole number of milliseconds")
      .min(100, "must be at least 100 ms")
      .max(MAX_TIMEOUT_MS, `must be at most ${MAX_TIMEOUT_MS} ms`)
      .nullish()
      .transform((v) => v ?? DEFAULT_TIMEOUT_MS),
  })
  .refine(exactlyOneTarget, TARGET_MESSAGE);

/** `runSql`: read-only statements over a database source or over datasets. */
export class SqlService {
  constructor(
    private readonly datasets: DatasetSqlSources,
    private readonly dataSources: DataSourceQueries,
  ) {}

  /**
   * Resolves where a statement runs and in which dialect.
   *
   * @throws NOT_FOUND for a data source or dataset that does not exist or the caller may not read.
   */
  async target(
    em: EntityManager,
    caller: Caller,
    input: { dataSourceId?: string | null; datasetIds?: string[] | null },
  ): Promise<SqlTarget> {
    if (input.dataSourceId != null) {
      const dialect = await this.dataSources.dialect(em, caller, input.dataSourceId);
      return { kind: "dataSource", dataSourceId: input.dataSourceId, dialect };
    }
    const datasetIds = input.datasetIds ?? [];
    const sources = await this.datasets.sqlSources(em, caller, datasetIds);
    return { kind: "datasets", datasetIds, dialect: "duckdb", sources };
  }

  /** The tables of a target, for prompts: the stored catalog of a database, or each dataset's columns. */
  async catalog(em: EntityManager, caller: Caller, target: SqlTarget): Promise<CatalogTableInfo[]> {
    if (target.kind === "dataSource") return this.dataSources.catalog(em, caller, target.dataSourceId);
    return describeSources(target.sources);
  }

  /**
   * The first `count` rows of each of `tables` (for prompts), keyed by table name. Tables whose rows cannot be
   * read are left out rather than failing the whole prompt.
   */
  async sampleRows(
    em: EntityManager,
    caller: Caller,
    target: SqlTarget,
    tables: CatalogTableInfo[],
    count: number,
  ): Promise<Map<string, Record<string, unknown>[]>> {
    const samples = new Map<string, Record<string, unknown>[]>();
    const limits = { limit: count, timeoutMs: SAMPLE_TIMEOUT_MS };
    if (target.kind === "datasets") {
      const sources = target.sources.filter((s) => tables.some((t) => sameName(t.name, s.tableName)));
      if (sources.length === 0) return samples;
      const outputs = await runDuckDbQueries(
        sources,
        sources.map((s) => `SELECT * FROM ${quoteIdent(s.tableName)} LIMIT ${count}`),
        limits,
      );
      sources.forEach((s, i) => samples.set(s.tableName, outputs[i]!.rows));
      return samples;
    }
    for (const table of tables) {
      const name = qualifiedName(table, target.dialect);
      try {
        const checked = checkReadOnlySql(`SELECT * FROM ${name} LIMIT ${count}`, target.dialect);
        const output = await this.dataSources.query(em, caller, target.dataSourceId, checked.sql, limits);
        samples.set(table.name, output.rows);
      } catch {
        // A table the source no longer has, or one the account may not read: the prompt still has its columns.
      }
    }
    return samples;
  }

  /**
   * Checks and runs one statement (the `runSql` mutation).
   *
   * @throws BAD_USER_INPUT for invalid input, a refused statement (saying why), a table that is not one of the
   * datasets, a statement the database rejects, or a timeout (`reason: "TIMEOUT"`); NOT_FOUND for an unknown
   * source.
   */
  async run(em: EntityManager, caller: Caller, input: z.input<typeof runSqlInput>): Promise<QueryOutput> {
    const data = parseInput(runSqlInput, input);
    const target = await this.target(em, caller, data);
    const checked = checkReadOnlySql(data.sql, target.dialect);
    return this.execute(em, caller, target, checked, { limit: data.limit, timeoutMs: data.timeoutMs });
  }

  /** Runs a statement that already passed {@link checkReadOnlySql} for `target.dialect`. */
  async execute(
    em: EntityManager,
    caller: Caller,
    target: SqlTarget,
    checked: CheckedSql,
    limits: QueryLimits,
  ): Promise<QueryOutput> {
    if (target.kind === "dataSource") {
      return this.dataSources.query(em, caller, target.dataSourceId, checked.sql, limits);
    }
    assertKnownTables(
      checked.tables,
      target.sources.map((s) => s.tableName),
    );
    // Only the datasets the statement names are opened: a temporary copy of a remote file costs a download.
    const used = target.sources.filter((s) => checked.tables.some((t) => sameName(t, s.tableName)));
    return runDuckDbQuery(used, checked.sql, limits);
  }
}

/** Sampling is a courtesy to the model; it must not hold up the question for long. */
const SAMPLE_TIMEOUT_MS = 5_000;

/** `schema.table`, each part quoted the dialect's way. */
export function qualifiedName(table: { schema?: string | null; name: string }, dialect: SqlDialect): string {
  const quote = (part: string) =>
    dialect === "mysql" ? `\`${part.replace(/`/g, "``")}\`` : `"${part.replace(/"/g, '""')}"`;
  return table.schema ? `${quote(table.schema)}.${quote(table.name)}` : quote(table.name);
}

/** DuckDB compares unquoted and quoted identifiers case-insensitively. */
const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Refuses a statement that names a table other than the given ones (DuckDB over datasets knows no others, and
 * the message says which ones exist).
 */
export function assertKnownTables(tables: string[], known: string[]): void {
  const unknown = tables.filter((t) => !known.some((k) => sameName(t, k)));
  if (unknown.length === 0) return;
  throw badInput(
    `Unknown table${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}: the query can read ${known.join(", ") || "no tables"}`,
    { sql: `unknown table ${unknown.join(", ")}` },
  );
}

/** Each dataset's file as a catalog table: DuckDB's DESCRIBE of its view, so types are the ones SQL sees. */
async function describeSources(sources: SqlTableSource[]): Promise<CatalogTableInfo[]> {
  if (sources.length === 0) return [];
  const described = await runDuckDbQueries(
    sources,
    sources.map((s) => `DESCRIBE ${quoteIdent(s.tableName)}`),
    { limit: 5_000, timeoutMs: DEFAULT_TIMEOUT_MS },
  );
  return sources.map((source, i) => ({
    name: source.tableName,
    columns: described[i]!.rows.map((row) => ({
      name: String(row.column_name),
      type: String(row.column_type),
      nullable: row.null !== "NO",
      primaryKey: false,
    })),
  }));
}
