/**
 * The shapes the SQL side of the dataset subgraph passes between its parts: the data-source executors produce
 * {@link QueryOutput}, the catalog produces {@link CatalogTableInfo}, and the `runSql`/`askData` resolvers
 * expose both through GraphQL.
 */

/** A column of a query result, with the engine's type name (e.g. `INTEGER`, `VARCHAR`, `TIMESTAMP`). */
export interface ResultColumn {
  name: string;
  type: string;
}

/** The result of one read-only statement. Values are JSON-safe (bigints as numbers or strings, dates ISO 8601). */
export interface QueryOutput {
  columns: ResultColumn[];
  rows: Record<string, unknown>[];
  rowCount: number;
  /** True when the statement produced more rows than the limit and the rest were not read. */
  truncated: boolean;
  elapsedMs: number;
}

/** Limits every statement runs under. */
export interface QueryLimits {
  /** Most rows returned; default 1,000, at most 10,000. */
  limit: number;
  /** Deadline for the statement; default 10 s. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface CatalogColumnInfo {
  name: string;
  type: string;
  nullable: boolean;
  primaryKey: boolean;
  /** The referenced table and column when this column is a foreign key. */
  foreignKey?: { schema?: string; table: string; column: string } | null;
  comment?: string | null;
}

/** One table (or view) of a database source, or one dataset seen as a table. */
export interface CatalogTableInfo {
  schema?: string | null;
  name: string;
  comment?: string | null;
  rowCount?: number | null;
  columns: CatalogColumnInfo[];
}

/** SQL dialects the guard and the prompt builder know. DuckDB runs SQL over datasets. */
export type SqlDialect = "postgresql" | "mysql" | "sqlite" | "duckdb";
