// Committed migrations must describe the entities exactly, on every dialect: after applying them to an empty
// database, the ORM finds nothing left to change. PostgreSQL and MariaDB runs are skipped, with the reason
// printed, where those servers are not reachable.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MikroORM } from "@mikro-orm/core";
import { ormOptions, type Dialect, type MigrationSet } from "@ods/kit";
import { describe, expect, it } from "vitest";

const SUBGRAPHS = ["identity", "dataset", "model", "conversation", "workflow"] as const;
const PG = process.env.ODS_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";
const MARIADB = process.env.ODS_TEST_MARIADB_URL ?? "mysql://root@127.0.0.1:3306";

function tryRun(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Creates an empty scratch database and returns its URL, or undefined when the server is not reachable. */
function scratchDatabase(dialect: Dialect, name: string): string | undefined | null {
  const db = `ods_test_migrations_${name}`;
  if (dialect === "postgresql") {
    const ok = tryRun("psql", [
      `${PG}/postgres`,
      "-qc",
      `DROP DATABASE IF EXISTS ${db}`,
      "-qc",
      `CREATE DATABASE ${db}`,
    ]);
    return ok ? `${PG}/${db}` : null;
  }
  if (dialect === "mariadb") {
    const ok = tryRun("mariadb", [
      "-h127.0.0.1",
      "-uroot",
      "-e",
      `DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}`,
    ]);
    return ok ? `${MARIADB}/${db}` : null;
  }
  return undefined;
}

describe.each(["sqlite", "postgresql", "mariadb"] as Dialect[])("migrations on %s", (dialect) => {
  it.for(SUBGRAPHS)("%s: the committed migrations match the entities", async (name, ctx) => {
    const url = scratchDatabase(dialect, name);
    if (url === null) {
      console.warn(`[migrations] ${dialect} is not reachable on 127.0.0.1: skipped`);
      ctx.skip();
    }
    const { entities } = (await import(`../subgraphs/${name}/src/schema.ts`)) as { entities: never[] };
    const { migrations } = (await import(`../subgraphs/${name}/src/migrations/index.ts`)) as {
      migrations: MigrationSet;
    };
    expect(migrations[dialect].length).toBeGreaterThan(0);
    const dataDir = await mkdtemp(join(tmpdir(), `ods-migrations-${name}-`));
    const orm = await MikroORM.init(
      await ormOptions({ name, dataDir, databaseUrl: url ?? undefined, entities, migrations }),
    );
    try {
      await orm.getMigrator().up();
      expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe("");
    } finally {
      await orm.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
