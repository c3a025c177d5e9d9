import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  MikroORM,
  Utils,
  type Connection,
  type Constructor,
  type DatabaseDriver,
  type EntityClass,
  type EntityDictionary,
  type EntityData,
  type EntityManager,
  type Options,
} from "@mikro-orm/core";
import type { Knex, SqlEntityManager } from "@mikro-orm/knex";
import type { Migration } from "@mikro-orm/migrations";

export type Dialect = "sqlite" | "postgresql" | "mariadb";

/** A subgraph's committed migrations, one list per dialect, oldest first. */
export type MigrationSet = Record<Dialect, { name: string; class: Constructor<Migration> }[]>;

export interface DatabaseOptions {
  /** The subgraph's name: its SQLite file is `<dataDir>/<name>.sqlite`. */
  name: string;
  dataDir: string;
  databaseUrl?: string;
  entities: EntityClass<unknown>[];
  migrations: MigrationSet;
  debug?: boolean;
}

/** Which SQL dialect a database URL speaks (SQLite when there is none). */
export function dialectOf(databaseUrl: string | undefined): Dialect {
  if (!databaseUrl) return "sqlite";
  if (/^postgres(ql)?:/.test(databaseUrl)) return "postgresql";
  return "mariadb";
}

/** The MikroORM options for a subgraph, without connecting; also used by the migration generator. */
export async function ormOptions(options: DatabaseOptions): Promise<Options> {
  const dialect = dialectOf(options.databaseUrl);
  const { Migrator } = await import("@mikro-orm/migrations");
  const common: Options = {
    entities: options.entities,
    extensions: [Migrator],
    debug: options.debug ?? process.env.ODS_SQL_DEBUG === "1",
    allowGlobalContext: false,
    forceUtcTimezone: true,
    migrations: {
      migrationsList: options.migrations[dialect],
      // Subgraphs may share one database server: each keeps its own migration history.
      tableName: `mikro_orm_migrations_${options.name}`,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
  };
  switch (dialect) {
    case "sqlite": {
      const { BetterSqliteDriver } = await import("@mikro-orm/better-sqlite");
      mkdirSync(options.dataDir, { recursive: true });
      return {
        ...common,
        driver: BetterSqliteDriver,
        dbName: join(options.dataDir, `${options.name}.sqlite`),
        pool: {
          afterCreate: (conn: PreparingConnection, done: (err: Error | null, conn: unknown) => void) => {
            cacheStatements(conn);
            done(null, conn);
          },
        },
      };
    }
    case "postgresql": {
      const { PostgreSqlDriver } = await import("@mikro-orm/postgresql");
      return { ...common, driver: PostgreSqlDriver, clientUrl: options.databaseUrl };
    }
    case "mariadb": {
      // The mariadb driver (not mysql) returns JSON columns as objects on MariaDB and works for MySQL too.
      const { MariaDbDriver } = await import("@mikro-orm/mariadb");
      return { ...common, driver: MariaDbDriver, clientUrl: options.databaseUrl!.replace(/^mysql:/, "mariadb:") };
    }
  }
}

/** What {@link cacheStatements} needs of a better-sqlite3 database. */
interface PreparingConnection {
  prepare(sql: string): unknown;
}

/**
 * Makes a better-sqlite3 connection reuse prepared statements by SQL text (the first 256 it sees, and after those
 * the most recent): knex prepares every query afresh, and compiling the SQL was a measurable share of each
 * query's time on the chat path (`BEGIN`, `COMMIT` and statements without values come again and again).
 *
 * @remarks Safe because better-sqlite3 runs a statement to its end synchronously (knex uses `all` and `run`, never
 * an iterator), so no two uses of one statement overlap; SQLite re-prepares a statement by itself when the schema
 * changes under it.
 */
const MAX_CACHED_SQL = 2_000;

function cacheStatements(conn: PreparingConnection): void {
  const prepare = conn.prepare.bind(conn);
  const statements = new Map<string, unknown>();
  conn.prepare = (sql: string) => {
    // MikroORM writes values into the SQL text, so most statements are one-offs: only short texts are kept (a
    // statement holds its text, and an update of a reply's content carries the whole reply).
    if (sql.length > MAX_CACHED_SQL) return prepare(sql);
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (statements.size >= 256) statements.delete(statements.keys().next().value!);
      statements.set(sql, statement);
    }
    return statement;
  };
}

/**
 * Connects to the subgraph's database and applies its committed migrations before anything else runs.
 *
 * @remarks Each subgraph owns its own tables. In the embedded profile that is one SQLite file per subgraph; with
 * `ODS_DATABASE_URL`, subgraphs may share one server, each with its own tables.
 */
export async function openDatabase(options: DatabaseOptions): Promise<MikroORM> {
  const orm = await MikroORM.init(await ormOptions(options));
  if (dialectOf(options.databaseUrl) === "sqlite") {
    // WAL lets readers proceed while the generation loop writes; busy_timeout waits for a lock instead of failing.
    const conn = orm.em.getConnection();
    await conn.execute("pragma journal_mode = wal");
    await conn.execute("pragma busy_timeout = 5000");
    await conn.execute("pragma foreign_keys = on");
  }
  await orm.getMigrator().up();
  return orm;
}

/**
 * Reads rows of `entity`'s table with knex's query builder and bound values, and maps them to entities into `em`
 * (as `em.find` would): for the few reads on a hot path. MikroORM builds each query itself and writes the values
 * into its text, which costs several times the query on SQLite (a conversation by id: about 210 µs against 45).
 * `query` gets the table's query builder and adds the conditions, by column name. Inside a transaction of `em`,
 * the read joins it. An entity `em` holds already is refreshed from the row, as with `refresh: true`.
 */
export async function quickFind<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  query: (table: Knex.QueryBuilder) => Knex.QueryBuilder,
): Promise<T[]> {
  const table = em.getMetadata().get(entity.name).tableName;
  const rows = (await quickRows(em, entity, (q) => query(q.select(`${table}.*`)))) as EntityDictionary<T>[];
  return rows.map((row) => em.map(entity, row));
}

/**
 * Reads rows of `entity`'s table as the driver returns them (columns by name, values as stored: a date is a number
 * on SQLite and a Date elsewhere), without making entities: for reads of many rows of which a few columns are
 * wanted. `query` gets the table's query builder, selects the columns and adds the conditions. `sub(entity)` names
 * another entity's table for a subquery. Inside a transaction of `em`, the read joins it.
 */
export async function quickRows(
  em: EntityManager,
  entity: EntityClass<object>,
  query: (table: Knex.QueryBuilder, sub: (other: EntityClass<object>) => Knex.QueryBuilder) => Knex.QueryBuilder,
): Promise<Record<string, unknown>[]> {
  const metadata = em.getMetadata();
  const knex = knexOf(em);
  const sub = (other: EntityClass<object>) => knex(metadata.get(other.name).tableName);
  return (await query(knex(metadata.get(entity.name).tableName), sub)) as Record<string, unknown>[];
}

/**
 * Updates the rows of `entity`'s table that match `where` (equality on each property) with `data`, by knex's query
 * builder with bound values, and returns how many rows changed: for the few writes on a hot path, like
 * {@link quickFind}. MikroORM's `nativeUpdate` builds the statement itself and writes the values into its text
 * (a reply's final update carries the whole reply), so SQLite prepares a new statement every time. Properties are
 * given by name and converted as MikroORM converts them (JSON, custom types, dates as the dialect stores them).
 * Inside a transaction of `em`, the update joins it. Entities `em` holds are not changed.
 */
export async function quickUpdate<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  where: EntityData<T>,
  data: EntityData<T>,
): Promise<number> {
  const table = em.getMetadata().get(entity.name).tableName;
  const knex = knexOf(em);
  return (await knex(table)
    .where(columnValues(em, knex, entity, where, true))
    .update(columnValues(em, knex, entity, data, true))) as number;
}

/**
 * Inserts new entities (made with `em.create(..., { persist: false })`) as they are, in one statement per entity
 * class, by knex's query builder with bound values: as `em.insertMany` does, without its statement building (see
 * {@link quickUpdate}). The entities do not become managed by `em`. Inside a transaction of `em`, the insert joins
 * it.
 */
export async function quickInsert(em: EntityManager, entities: readonly object[]): Promise<void> {
  const byClass = new Map<EntityClass<object>, object[]>();
  for (const e of entities) {
    const cls = e.constructor as EntityClass<object>;
    const rows = byClass.get(cls);
    if (rows) rows.push(e);
    else byClass.set(cls, [e]);
  }
  const comparator = em.getComparator();
  const knex = knexOf(em);
  for (const [cls, rows] of byClass) {
    const table = em.getMetadata().get(cls.name).tableName;
    // MikroORM's own snapshot of an entity for an insert: custom types converted already (as insertMany has it).
    const values = rows.map((row) => columnValues(em, knex, cls, comparator.prepareEntity(row), false));
    await knex(table).insert(values);
  }
}

/** The knex of `em`'s transaction when one is open, else of its connection. */
function knexOf(em: EntityManager): Knex {
  return em.getTransactionContext<Knex.Transaction>() ?? (em as SqlEntityManager).getKnex();
}

/**
 * Property values as column values for a bound statement: MikroORM's mapping of names and custom types, then any
 * JSON left as an object written out (drivers bind an array as a SQL array or a list, not as JSON), and dates as
 * MikroORM writes them: a number on SQLite (bound), elsewhere its own literal — the drivers would bind a date in the
 * process's time zone (the mariadb driver does, whatever MikroORM's `timezone` says), MikroORM writes UTC.
 */
function columnValues<T extends object>(
  em: EntityManager,
  knex: Knex,
  entity: EntityClass<T>,
  data: EntityData<T>,
  convertCustomTypes: boolean,
): Record<string, unknown> {
  const platform = em.getPlatform();
  const meta = em.getMetadata().get(entity.name);
  const driver = em.getDriver() as unknown as DatabaseDriver<Connection>;
  const row = driver.mapDataToFieldNames(data, true, meta.properties, convertCustomTypes) as Record<string, unknown>;
  for (const [column, value] of Object.entries(row)) {
    if (value instanceof Date) {
      // SQLite's platform stores a date as its number (processDateProperty), the others leave it a Date.
      const stored = platform.processDateProperty(value);
      row[column] = stored instanceof Date ? knex.raw(platform.formatQuery("?", [value])) : stored;
    } else if (Array.isArray(value) || Utils.isPlainObject(value)) row[column] = JSON.stringify(value);
  }
  return row;
}
