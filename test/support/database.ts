// Which database a subgraph's integration tests use for the subgraph's own tables: SQLite by default, or a fresh
// scratch database on the PostgreSQL or MariaDB server here when ODS_TEST_DIALECT says so (`npm test` runs the
// dataset subgraph's suites once per dialect).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

const PG = process.env.ODS_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";
const MARIADB = process.env.ODS_TEST_MARIADB_URL ?? "mysql://root@127.0.0.1:3306";

export interface TestDatabase {
  /** Pass to `openDatabase({ databaseUrl })`; undefined means SQLite in the test's data folder. */
  databaseUrl?: string;
  drop(): Promise<void>;
}

export function testDialect(): "sqlite" | "postgresql" | "mariadb" {
  const dialect = process.env.ODS_TEST_DIALECT ?? "sqlite";
  if (dialect !== "sqlite" && dialect !== "postgresql" && dialect !== "mariadb") {
    throw new Error(`ODS_TEST_DIALECT must be sqlite, postgresql or mariadb, not ${dialect}`);
  }
  return dialect;
}

/**
 * A fresh, empty database for one test file, dropped again by `drop()`: on `dialect` (default: ODS_TEST_DIALECT).
 * Throws when that server is not reachable.
 */
export async function testDatabase(dialect = testDialect()): Promise<TestDatabase> {
  if (dialect === "sqlite") return { databaseUrl: undefined, drop: async () => {} };
  const name = `ods_test_${randomBytes(6).toString("hex")}`;
  if (dialect === "postgresql") {
    execFileSync("psql", [`${PG}/postgres`, "-qc", `CREATE DATABASE ${name}`], { stdio: "ignore", timeout: 10_000 });
    return {
      databaseUrl: `${PG}/${name}`,
      drop: async () =>
        void execFileSync("psql", [`${PG}/postgres`, "-qc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]),
    };
  }
  execFileSync("mariadb", ["-h127.0.0.1", "-uroot", "-e", `CREATE DATABASE ${name}`], {
    stdio: "ignore",
    timeout: 10_000,
  });
  return {
    databaseUrl: `${MARIADB}/${name}`,
    drop: async () => void execFileSync("mariadb", ["-h127.0.0.1", "-uroot", "-e", `DROP DATABASE IF EXISTS ${name}`]),
  };
}
