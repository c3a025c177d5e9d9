// Committed migrations must describe the entities exactly, on every dialect: after applying them to an empty
// database, the ORM finds nothing left to change. PostgreSQL and MariaDB runs are skipped, with the reason
// printed, where those servers are not reachable.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MikroORM } from "@mikro-orm/core";
import { ormOptions, type Dialect, type MigrationSet } from "@ods/kit";
import { describe, expect, it } from "vitest";
import { testDatabase } from "./support/database.js";

const SUBGRAPHS = ["identity", "dataset", "model", "conversation", "workflow"] as const;
/** Tables with their columns, keys and indexes, as SQLite reports them. */
async function sqliteStructure(orm: MikroORM) {
  const conn = orm.em.getConnection();
  const tables = await conn.execute<{ name: string }[]>(
    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'mikro_orm_migrations%' order by name",
  );
  const out: Record<string, unknown> = {};
  for (const { name } of tables) {
    out[name] = {
      columns: await conn.execute(`pragma table_info(\`${name}\`)`),
      foreignKeys: await conn.execute(
        `select "table", "from", "to", on_delete from pragma_foreign_key_list('${name}')`,
      ),
      indexes: await conn.execute(
        `select il.name, il."unique", group_concat(ii.name) as cols from pragma_index_list('${name}') il join pragma_index_info(il.name) ii group by il.name order by il.name`,
      ),
    };
  }
  return out;
}

describe.each(["sqlite", "postgresql", "mariadb"] as Dialect[])("migrations on %s", (dialect) => {
  it.for(SUBGRAPHS)("%s: the committed migrations match the entities", async (name, ctx) => {
    const db = await testDatabase(dialect).catch(() => null);
    if (!db) {
      console.warn(`[migrations] ${dialect} is not reachable on 127.0.0.1: skipped`);
      return ctx.skip();
    }
    const url = db.databaseUrl;
    const { entities } = (await import(`../subgraphs/${name}/src/schema.ts`)) as { entities: never[] };
    const { migrations } = (await import(`../subgraphs/${name}/src/migrations/index.ts`)) as {
      migrations: MigrationSet;
    };
    expect(migrations[dialect].length).toBeGreaterThan(0);
    const dataDir = await mkdtemp(join(tmpdir(), `ods-migrations-${name}-`));
    const orm = await MikroORM.init(await ormOptions({ name, dataDir, databaseUrl: url, entities, migrations }));
    try {
      await orm.getMigrator().up();
      if (dialect === "sqlite") {
        // MikroORM's SQLite diff cannot read back check constraints and column lengths, so it proposes table
        // rebuilds even when nothing changed. Compare the structure itself instead: the tables the migrations
        // made against the tables the entities make on an empty database.
        const fresh = await MikroORM.init(await ormOptions({ name: `${name}-fresh`, dataDir, entities, migrations }));
        try {
          await fresh.schema.createSchema();
          expect(await sqliteStructure(orm)).toEqual(await sqliteStructure(fresh));
        } finally {
          await fresh.close();
        }
      } else {
        expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe("");
      }
    } finally {
      await orm.close();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
