import { isAbsolute, relative, resolve } from "node:path";
import { badInput, parseInput } from "@ods/kit";
import { z } from "zod";
import { DataSourceKind, type DataSourceConnectionInfo } from "../../entities/data-source.js";

const s3Connection = z.object({
  endpoint: z.url("must be a URL such as http://127.0.0.1:9000").regex(/^https?:\/\//, "must start with http(s)://"),
  accessKey: z.string().min(1, "must not be empty").max(512),
  secretKey: z.string().min(1, "must not be empty").max(1024),
  region: z.string().trim().min(1).max(64).default("us-east-1"),
});

const postgresConnection = z.object({
  url: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\/[^/]/, "must look like postgres://user:password@host:5432/database"),
});

const mysqlConnection = z.object({
  url: z
    .string()
    .trim()
    .regex(/^(mysql|mariadb):\/\/[^/]/, "must look like mysql://user:password@host:3306/database"),
});

const sqliteConnection = z.object({
  path: z.string().trim().min(1, "must not be empty").max(4096).refine(isAbsolute, "must be an absolute path"),
});

export type S3Connection = z.infer<typeof s3Connection>;
export type SqliteConnection = z.infer<typeof sqliteConnection>;
export type UrlConnection = z.infer<typeof postgresConnection>;

/** A validated connection, tagged by kind. This (encrypted) is what is stored. */
export type Connection =
  | ({ kind: DataSourceKind.S3 } & S3Connection)
  | ({ kind: DataSourceKind.POSTGRES } & UrlConnection)
  | ({ kind: DataSourceKind.MYSQL } & UrlConnection)
  | ({ kind: DataSourceKind.SQLITE } & SqliteConnection);

/**
 * Checks the `connection` JSON of `registerDataSource` against its kind.
 *
 * @throws BAD_USER_INPUT naming each wrong field as `connection.<field>`.
 */
export function parseConnection(kind: DataSourceKind, value: unknown): Connection {
  const schema = {
    [DataSourceKind.S3]: s3Connection,
    [DataSourceKind.POSTGRES]: postgresConnection,
    [DataSourceKind.MYSQL]: mysqlConnection,
    [DataSourceKind.SQLITE]: sqliteConnection,
  }[kind];
  const parsed = parseInput(z.object({ connection: schema }), { connection: value ?? {} }).connection;
  const connection = { kind, ...parsed } as Connection;
  if (connection.kind === DataSourceKind.POSTGRES || connection.kind === DataSourceKind.MYSQL)
    parseDatabaseUrl(connection.url);
  return connection;
}

export interface DatabaseUrl {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
  /** Query parameters such as `sslmode=require`. */
  params: URLSearchParams;
}

/** Splits a database URL into its parts, decoding percent-escapes in the user name and password. */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badInput("connection.url is not a valid URL", { "connection.url": "is not a valid URL" });
  }
  const postgres = parsed.protocol.startsWith("postgres");
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || undefined;
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: parsed.port ? Number(parsed.port) : postgres ? 5432 : 3306,
    user: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database,
    params: parsed.searchParams,
  };
}

/** What may be shown of a connection: everything but passwords and secret keys. */
export function summarize(connection: Connection): DataSourceConnectionInfo {
  switch (connection.kind) {
    case DataSourceKind.S3: {
      const url = new URL(connection.endpoint);
      return {
        endpoint: url.origin,
        host: url.hostname,
        port: url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80,
        region: connection.region,
        user: connection.accessKey,
      };
    }
    case DataSourceKind.POSTGRES:
    case DataSourceKind.MYSQL: {
      const { host, port, user, database } = parseDatabaseUrl(connection.url);
      return { host, port, user: user ?? null, database: database ?? null };
    }
    case DataSourceKind.SQLITE:
      return { path: connection.path };
  }
}

/**
 * Refuses SQLite files inside the platform's own data folder: those hold the subgraphs' tables (password hashes,
 * API key hashes, encrypted secrets), which no data source may expose.
 */
export function assertOutsideDataDir(path: string, dataDir: string): void {
  const rel = relative(resolve(dataDir), resolve(path));
  if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) {
    throw badInput("connection.path is inside the platform's data folder, whose files cannot be data sources", {
      "connection.path": "must be outside the platform's data folder",
    });
  }
}
