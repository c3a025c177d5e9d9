import { raw, type EntityManager, type FilterQuery } from "@mikro-orm/core";
import {
  badInput,
  conflict,
  decryptSecret,
  type SecretKeys,
  encryptSecret,
  forbidden,
  pageWindow,
  parseInput,
  ResourceAccess,
  requireUser,
  toPage,
  type Caller,
  type Logger,
  type ObjectStore,
  type Page,
  type SharingService,
  type shareInput,
  isAdmin,
} from "@ods/kit";
import { z } from "zod";
import { CatalogRefreshJob, CatalogRefreshState } from "../../entities/catalog-refresh-job.js";
import { CatalogTable } from "../../entities/catalog-table.js";
import { DataSource, DataSourceKind } from "../../entities/data-source.js";
import type { DatasetShare } from "../../entities/resource-share.js";
import type { CatalogTableInfo, QueryLimits, QueryOutput, SqlDialect } from "../sql/types.js";
import { assertOutsideDataDir, parseConnection, summarize, type Connection } from "./connection.js";
import { reason, type DatabaseDriver } from "./driver.js";
import { MysqlDriver } from "./mysql.js";
import { PostgresDriver } from "./postgres.js";
import { s3StoreFor, testS3 } from "./s3.js";
import { SqliteDriver } from "./sqlite.js";

const sourceName = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");

export const registerDataSourceInput = z.object({
  name: sourceName,
  kind: z.enum(DataSourceKind),
  connection: z.unknown(),
});

/** What may change of a source: its name and its connection (of the same kind; tested before it is saved). */
export const updateDataSourceInput = z.object({
  name: sourceName.nullish(),
  connection: z.unknown().optional(),
});

export interface ListDataSourcesArgs {
  search?: string | null;
  first?: number | null;
  after?: string | null;
}

export interface DataSourceServiceOptions {
  /** Encrypts connections at rest (ODS_SECRET_KEY, else ODS_INTERNAL_SECRET). */
  secretKey: SecretKeys;
  /** The platform's data folder, whose files may not be registered as SQLite sources. */
  dataDir: string;
  /** Who besides owners and admins may see, use and change each source (kit's sharing, `DataSource` shares). */
  sharing: SharingService<DatasetShare>;
  logger?: Logger;
}

/** The `resourceType` of data source shares. */
const DATA_SOURCE = "DataSource";

const KIND_NAMES: Record<DataSourceKind, string> = {
  [DataSourceKind.S3]: "the S3 endpoint",
  [DataSourceKind.POSTGRES]: "the PostgreSQL database",
  [DataSourceKind.MYSQL]: "the MySQL database",
  [DataSourceKind.SQLITE]: "the SQLite file",
};

const DIALECTS: Record<Exclude<DataSourceKind, DataSourceKind.S3>, SqlDialect> = {
  [DataSourceKind.POSTGRES]: "postgresql",
  [DataSourceKind.MYSQL]: "mysql",
  [DataSourceKind.SQLITE]: "sqlite",
};

/** How often a running refresh writes its progress, at most. */
const PROGRESS_EVERY_MS = 250;

/**
 * Data sources (databases and S3 endpoints) and their catalogs: registration with a live connection test,
 * encrypted credentials, read-only queries, and catalog refreshes that run as jobs with progress.
 *
 * @remarks A source is visible to its owner, to admins, and to whom it is shared with: a VIEWER may list, open and
 * use it (browse its catalog, query it, register datasets from it) with the owner's credentials without ever seeing
 * them; an EDITOR may also change it and refresh its catalog; only owners and admins delete and share it. To anyone
 * else it does not exist (NOT_FOUND).
 */
export class DataSourceService {
  /** Refreshes running in this process, by data source id, so a second request joins the first. */
  private readonly running = new Map<string, { jobId: string; done: Promise<void> }>();

  constructor(private readonly options: DataSourceServiceOptions) {}

  private get sharing(): SharingService<DatasetShare> {
    return this.options.sharing;
  }

  /**
   * A filter for the sources the caller may see: their own and those shared with them, and for admins every
   * source (as before sharing, so an admin's list still shows what there is to administer).
   */
  private visibleWhere(em: EntityManager, caller: Caller): Promise<FilterQuery<DataSource>> {
    requireUser(caller);
    return this.sharing.reachableWhere(em, caller, DATA_SOURCE) as Promise<FilterQuery<DataSource>>;
  }

  /** One page of the sources the caller may see, newest first. */
  async list(em: EntityManager, caller: Caller, args: ListDataSourcesArgs): Promise<Page<DataSource>> {
    const { offset, limit } = pageWindow(args);
    const visible = await this.visibleWhere(em, caller);
    const filter = (): FilterQuery<DataSource> => {
      const and: FilterQuery<DataSource>[] = [visible];
      const search = args.search?.trim();
      if (search) and.push({ [raw((a) => `lower(${a}.name) like ? escape '!'`, [likePattern(search)])]: [] });
      return { $and: and };
    };
    const rows = await em.find(DataSource, filter(), { orderBy: { createdAt: "desc", id: "desc" }, offset, limit });
    return toPage(rows, offset, await em.count(DataSource, filter()));
  }

  /** The source, or null when there is none or the caller may not see it. */
  async find(em: EntityManager, caller: Caller, id: string): Promise<DataSource | null> {
    if (!caller.userId) return null;
    const source = await em.findOne(DataSource, { id });
    return source && (await this.sharing.accessOf(em, caller, DATA_SOURCE, source)) ? source : null;
  }

  /**
   * Source `id` when the caller may do what `needed` allows with it: NOT_FOUND when they may not see it (as for a
   * source that does not exist), FORBIDDEN when they may see it but not this.
   */
  async get(em: EntityManager, caller: Caller, id: string, needed = ResourceAccess.VIEWER): Promise<DataSource> {
    requireUser(caller);
    const source = await em.findOne(DataSource, { id });
    await this.sharing.require(em, caller, DATA_SOURCE, source, needed, id, "Data source");
    return source!;
  }

  /** What the caller may do with each source (DataLoader batch for `DataSource.access`). */
  accessOf(em: EntityManager, caller: Caller, sources: readonly DataSource[]): Promise<ResourceAccess[]> {
    return this.sharing.accessOfVisible(em, caller, DATA_SOURCE, sources);
  }

  /** The shares of a source: owners and admins see them all, anyone else none. */
  shares(em: EntityManager, caller: Caller, source: DataSource): Promise<DatasetShare[]> {
    return this.sharing.sharesFor(em, caller, DATA_SOURCE, source);
  }

  /** Shares a source with a user or a role as viewer or editor (owners and admins). */
  async share(em: EntityManager, caller: Caller, id: string, input: z.input<typeof shareInput>): Promise<DatasetShare> {
    const source = await this.get(em, caller, id);
    return this.sharing.grant(em, caller, DATA_SOURCE, source, input);
  }

  /** Ends one share of a source (owners and admins); false when there was no such share. */
  async unshare(em: EntityManager, caller: Caller, id: string, shareId: string): Promise<boolean> {
    const source = await this.get(em, caller, id);
    return this.sharing.revoke(em, caller, DATA_SOURCE, source, shareId);
  }

  /**
   * Registers a source after connecting to it; database sources then get their catalog read in the background.
   *
   * @throws BAD_USER_INPUT when the input is invalid or the connection test fails (with the driver's reason);
   * FORBIDDEN for a SQLite source registered by a non-admin; CONFLICT when the caller already has a source by
   * that name.
   */
  async register(
    em: EntityManager,
    caller: Caller & { userId: string },
    input: z.input<typeof registerDataSourceInput>,
  ): Promise<DataSource> {
    const data = parseInput(registerDataSourceInput, input);
    const connection = parseConnection(data.kind, data.connection);
    this.assertMayRead(caller, connection, "register");
    if (await em.count(DataSource, { ownerId: caller.userId, name: data.name })) {
      throw conflict(`You already have a data source named ${data.name}`);
    }
    const source = em.create(DataSource, {
      name: data.name,
      kind: data.kind,
      ...(await this.testAndSeal(connection)),
      ownerId: caller.userId,
    });
    await em.persistAndFlush(source);
    if (source.kind !== DataSourceKind.S3) await this.startRefresh(em, source);
    return source;
  }

  /**
   * Renames a source or points it elsewhere (a connection of the same kind, tested first like a new one; a
   * database source then gets its catalog read again). Editors of the source, owners and admins.
   *
   * @throws NOT_FOUND when the caller may not see it; FORBIDDEN for a viewer, or for a non-admin changing a SQLite
   * path; BAD_USER_INPUT for invalid input or a failed connection test; CONFLICT when the owner already has a source
   * by the new name.
   */
  async update(
    em: EntityManager,
    caller: Caller,
    id: string,
    input: z.input<typeof updateDataSourceInput>,
  ): Promise<DataSource> {
    const data = parseInput(updateDataSourceInput, input);
    const source = await this.get(em, caller, id, ResourceAccess.EDITOR);
    if (data.name && data.name !== source.name) {
      if (await em.count(DataSource, { ownerId: source.ownerId, name: data.name, id: { $ne: source.id } })) {
        throw conflict(`The owner already has a data source named ${data.name}`);
      }
      source.name = data.name;
    }
    const reconnect = data.connection !== undefined && data.connection !== null;
    if (reconnect) {
      const connection = parseConnection(source.kind, data.connection);
      this.assertMayRead(caller, connection, "point");
      Object.assign(source, await this.testAndSeal(connection));
    }
    await em.flush();
    if (reconnect && source.kind !== DataSourceKind.S3 && !this.running.has(source.id)) {
      await this.startRefresh(em, source);
    }
    return source;
  }

  /** Refuses what only admins may connect to: a SQLite source reads a file of the server's own disk. */
  private assertMayRead(caller: Caller, connection: Connection, verb: "register" | "point"): void {
    if (connection.kind !== DataSourceKind.SQLITE) return;
    if (!isAdmin(caller)) {
      throw forbidden(
        verb === "register"
          ? "Only admins may register SQLite files as data sources"
          : "Only admins may point a data source at a SQLite file",
      );
    }
    assertOutsideDataDir(connection.path, this.options.dataDir);
  }

  /**
   * Connects once to check the connection works, then returns it encrypted with the summary that may be shown.
   *
   * @throws BAD_USER_INPUT with the driver's reason when the connection fails.
   */
  private async testAndSeal(connection: Connection): Promise<Pick<DataSource, "encryptedConnection" | "connection">> {
    const summary = summarize(connection);
    try {
      await this.test(connection);
    } catch (err) {
      const where = summary.endpoint ?? summary.path ?? `${summary.host}:${summary.port}/${summary.database ?? ""}`;
      throw badInput(`Cannot connect to ${KIND_NAMES[connection.kind]} at ${where}: ${reason(err)}`, {
        connection: reason(err),
      });
    }
    const { kind: _kind, ...secret } = connection;
    return {
      encryptedConnection: encryptSecret(JSON.stringify(secret), this.options.secretKey),
      connection: summary,
    };
  }

  private async test(connection: Connection): Promise<void> {
    if (connection.kind === DataSourceKind.S3) return testS3(connection);
    return this.driver(connection).test();
  }

  /** Deletes the source with its catalog, refresh history and shares; only the owner or an admin may. */
  async delete(em: EntityManager, caller: Caller, id: string): Promise<boolean> {
    const source = await this.get(em, caller, id, ResourceAccess.OWNER);
    await em.transactional(async (tx) => {
      await tx.nativeDelete(CatalogTable, { dataSourceId: source.id });
      await tx.nativeDelete(CatalogRefreshJob, { dataSourceId: source.id });
      await tx.nativeDelete(DataSource, { id: source.id });
      await this.sharing.removeAll(tx, DATA_SOURCE, source.id);
    });
    em.clear();
    return true;
  }

  /** The decrypted connection of a source the caller may use. */
  private async connectionOf(em: EntityManager, source: DataSource): Promise<Connection> {
    const loaded = await em.findOneOrFail(DataSource, { id: source.id }, { populate: ["encryptedConnection"] });
    const secret = JSON.parse(decryptSecret(loaded.encryptedConnection, this.options.secretKey)) as object;
    return { ...secret, kind: source.kind } as Connection;
  }

  private driver(connection: Exclude<Connection, { kind: DataSourceKind.S3 }>): DatabaseDriver {
    switch (connection.kind) {
      case DataSourceKind.POSTGRES:
        return new PostgresDriver(connection.url);
      case DataSourceKind.MYSQL:
        return new MysqlDriver(connection.url);
      case DataSourceKind.SQLITE:
        return new SqliteDriver(connection.path);
    }
  }

  private async databaseDriver(em: EntityManager, source: DataSource): Promise<DatabaseDriver> {
    const connection = await this.connectionOf(em, source);
    if (connection.kind === DataSourceKind.S3) throw notADatabase(source);
    return this.driver(connection);
  }

  /**
   * Runs ONE statement that the SQL guard has already checked, read-only, under `limits`.
   *
   * @remarks Each engine enforces read-only on its own as well: PostgreSQL in a `BEGIN READ ONLY` transaction with
   * `statement_timeout`, MySQL/MariaDB in a read-only session and transaction with `max_statement_time` /
   * `max_execution_time`, SQLite on a file opened read-only. At most `limit + 1` rows are read; the extra one only
   * sets `truncated`.
   * @throws NOT_FOUND for an unknown source; BAD_USER_INPUT for an S3 source, a refused statement or a timeout
   * (`extensions.reason` TIMEOUT); UPSTREAM_UNAVAILABLE when the database cannot be reached.
   */
  async query(
    em: EntityManager,
    caller: Caller,
    dataSourceId: string,
    sql: string,
    limits: QueryLimits,
  ): Promise<QueryOutput> {
    if (!Number.isInteger(limits.limit) || limits.limit < 1) throw badInput("limit must be a positive whole number");
    if (!(limits.timeoutMs > 0)) throw badInput("timeoutMs must be positive");
    const source = await this.get(em, caller, dataSourceId);
    const driver = await this.databaseDriver(em, source);
    return driver.query(sql, limits);
  }

  /** The SQL dialect of a database source. */
  async dialect(em: EntityManager, caller: Caller, id: string): Promise<SqlDialect> {
    const source = await this.get(em, caller, id);
    if (source.kind === DataSourceKind.S3) throw notADatabase(source);
    return DIALECTS[source.kind];
  }

  /**
   * The stored catalog of a database source. A source never catalogued yet is read now (joining a refresh that is
   * already running), so a first question to a fresh source sees its tables.
   */
  async catalog(em: EntityManager, caller: Caller, id: string): Promise<CatalogTableInfo[]> {
    const source = await this.get(em, caller, id);
    if (source.kind === DataSourceKind.S3) throw notADatabase(source);
    if (!source.catalogRefreshedAt) {
      await (this.running.get(source.id)?.done ?? (await this.startRefresh(em, source)).done);
      const job = await this.latestJob(em.fork(), source.id);
      if (job?.status === CatalogRefreshState.FAILED) {
        throw badInput(`The catalog of data source ${source.name} could not be read: ${job.error ?? "unknown error"}`);
      }
    }
    const tables = await em
      .fork()
      .find(CatalogTable, { dataSourceId: source.id }, { orderBy: { schema: "asc", name: "asc" } });
    return tables.map(toInfo);
  }

  /** Kit's object store over `bucket` of an S3 source. */
  async s3Store(em: EntityManager, caller: Caller, dataSourceId: string, bucket: string): Promise<ObjectStore> {
    const source = await this.get(em, caller, dataSourceId);
    const connection = await this.connectionOf(em, source);
    if (connection.kind !== DataSourceKind.S3) {
      throw badInput(`Data source ${source.name} is a ${source.kind} database, not an S3 endpoint`, {
        dataSourceId: "must name an S3 data source",
      });
    }
    return s3StoreFor(connection, bucket);
  }

  /** The stored tables of a source (already authorised), those matching `search` when given. */
  async tables(em: EntityManager, source: DataSource, search?: string | null): Promise<CatalogTable[]> {
    const filter: FilterQuery<CatalogTable>[] = [{ dataSourceId: source.id }, ...searchFilters(search)];
    const tables = await em.find(CatalogTable, { $and: filter }, { orderBy: { schema: "asc", name: "asc" } });
    return search ? rank(tables, search) : tables;
  }

  /**
   * Tables whose name, comment, or column names or comments contain every word of `query`, best matches first
   * (names count more than columns, columns more than comments), over one source or all the caller may see.
   */
  async searchCatalog(
    em: EntityManager,
    caller: Caller,
    query: string,
    dataSourceId?: string | null,
    first = 50,
  ): Promise<CatalogTable[]> {
    if (!query.trim()) throw badInput("query must not be empty", { query: "must not be empty" });
    if (!Number.isInteger(first) || first < 1 || first > 200) throw badInput("first must be between 1 and 200");
    let sourceIds: string[] | undefined;
    if (dataSourceId) sourceIds = [(await this.get(em, caller, dataSourceId)).id];
    else if (!isAdmin(caller)) {
      const visible = await this.visibleWhere(em, caller);
      sourceIds = (await em.find(DataSource, visible, { fields: ["id"] })).map((s) => s.id);
    }
    const filter: FilterQuery<CatalogTable>[] = searchFilters(query);
    if (sourceIds) filter.push({ dataSourceId: { $in: sourceIds } });
    // Ranked here rather than in SQL (portable across the three databases); 1,000 candidates is plenty to rank.
    const tables = await em.find(CatalogTable, { $and: filter }, { orderBy: { name: "asc" }, limit: 1000 });
    return rank(tables, query).slice(0, first);
  }

  /**
   * Starts reading the source's catalog in the background and returns the job to poll; a refresh already running
   * for the source is returned instead of starting another.
   */
  async refreshCatalog(em: EntityManager, caller: Caller, dataSourceId: string): Promise<CatalogRefreshJob> {
    const source = await this.get(em, caller, dataSourceId, ResourceAccess.EDITOR);
    if (source.kind === DataSourceKind.S3) throw notADatabase(source);
    const running = this.running.get(source.id);
    if (running) return em.findOneOrFail(CatalogRefreshJob, { id: running.jobId });
    return (await this.startRefresh(em, source)).job;
  }

  /** A refresh job of a source the caller may see, or null. */
  async job(em: EntityManager, caller: Caller, jobId: string): Promise<CatalogRefreshJob | null> {
    const job = await em.findOne(CatalogRefreshJob, { id: jobId });
    if (!job || !(await this.find(em, caller, job.dataSourceId))) return null;
    return job;
  }

  /** The most recent refresh of a source. */
  async latestJob(em: EntityManager, dataSourceId: string): Promise<CatalogRefreshJob | null> {
    return em.findOne(CatalogRefreshJob, { dataSourceId }, { orderBy: { createdAt: "desc", id: "desc" } });
  }

  /** Waits for every refresh running in this process (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  private async startRefresh(
    em: EntityManager,
    source: DataSource,
  ): Promise<{ job: CatalogRefreshJob; done: Promise<void> }> {
    const job = em.create(CatalogRefreshJob, { dataSourceId: source.id });
    await em.persistAndFlush(job);
    // Its own unit of work: the request's ends with the response, the job runs on.
    const done = this.runRefresh(em.fork(), source.id, job.id);
    this.running.set(source.id, { jobId: job.id, done });
    return { job, done };
  }

  /** Reads the catalog and replaces the stored one in one transaction; never rejects (failures go in the job). */
  private async runRefresh(em: EntityManager, dataSourceId: string, jobId: string): Promise<void> {
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    try {
      const source = await em.findOneOrFail(DataSource, { id: dataSourceId });
      await em.nativeUpdate(
        CatalogRefreshJob,
        { id: jobId },
        { status: CatalogRefreshState.RUNNING, startedAt: new Date() },
      );
      const driver = await this.databaseDriver(em, source);
      const tables = await driver.introspect((done, total) => {
        const now = Date.now();
        if (done !== 0 && done !== total && now - lastWrite < PROGRESS_EVERY_MS) return;
        lastWrite = now;
        writing = writing.then(() =>
          em.nativeUpdate(CatalogRefreshJob, { id: jobId }, { tablesDone: done, tablesTotal: total }).catch(() => 0),
        );
      });
      await writing;
      const finishedAt = new Date();
      await em.transactional(async (tx) => {
        await tx.nativeDelete(CatalogTable, { dataSourceId });
        for (const table of tables) tx.persist(tx.create(CatalogTable, { ...fromInfo(table), dataSourceId }));
        await tx.flush();
        await tx.nativeUpdate(DataSource, { id: dataSourceId }, { catalogRefreshedAt: finishedAt });
        await tx.nativeUpdate(
          CatalogRefreshJob,
          { id: jobId },
          {
            status: CatalogRefreshState.SUCCEEDED,
            tablesDone: tables.length,
            tablesTotal: tables.length,
            finishedAt,
          },
        );
      });
    } catch (err) {
      await writing;
      await em
        .nativeUpdate(
          CatalogRefreshJob,
          { id: jobId },
          { status: CatalogRefreshState.FAILED, error: reason(err).slice(0, 2000), finishedAt: new Date() },
        )
        .catch((e: unknown) =>
          this.options.logger?.error({ err: e, jobId }, "could not record a failed catalog refresh"),
        );
    } finally {
      if (this.running.get(dataSourceId)?.jobId === jobId) this.running.delete(dataSourceId);
    }
  }
}

function notADatabase(source: DataSource) {
  return badInput(`Data source ${source.name} is an S3 endpoint, not a database`, {
    dataSourceId: "must name a database source",
  });
}

function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[!%_]/g, "!$&")}%`;
}

function words(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter(Boolean);
}

function searchFilters(search?: string | null): FilterQuery<CatalogTable>[] {
  return words(search ?? "").map((word) => ({
    [raw((a) => `${a}.search_text like ? escape '!'`, [likePattern(word)])]: [],
  }));
}

/** Orders tables by how well they match: a word in the table name counts 3, in a column name 2, elsewhere 1. */
function rank(tables: CatalogTable[], query: string): CatalogTable[] {
  const terms = words(query);
  const score = (t: CatalogTable) =>
    terms.reduce((sum, term) => {
      if (t.name.toLowerCase().includes(term)) return sum + 3;
      if (t.columns.some((c) => c.name.toLowerCase().includes(term))) return sum + 2;
      return sum + 1;
    }, 0);
  return tables
    .map((table) => ({ table, score: score(table) }))
    .sort((a, b) => b.score - a.score || a.table.name.localeCompare(b.table.name))
    .map((s) => s.table);
}

function fromInfo(table: CatalogTableInfo): Omit<CatalogTable, "id" | "dataSourceId"> {
  const text = [table.schema, table.name, table.comment, ...table.columns.flatMap((c) => [c.name, c.comment])].filter(
    Boolean,
  );
  return {
    schema: table.schema ?? null,
    name: table.name,
    comment: table.comment ?? null,
    rowCount: table.rowCount ?? null,
    columns: table.columns,
    searchText: text.join(" ").toLowerCase(),
  };
}

function toInfo(table: CatalogTable): CatalogTableInfo {
  return {
    schema: table.schema ?? null,
    name: table.name,
    comment: table.comment ?? null,
    rowCount: table.rowCount ?? null,
    columns: table.columns,
  };
}
