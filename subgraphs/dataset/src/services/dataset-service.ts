import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createReadStream, createWriteStream } from "node:fs";
import { raw, type EntityManager, type FilterQuery } from "@mikro-orm/core";
import {
  assertObjectKey,
  badInput,
  decodeCursor,
  encodeCursor,
  forbidden,
  notFound,
  pageWindow,
  parseInput,
  PageInfo,
  signDownloadToken,
  toPage,
  type Caller,
  type Dialect,
  type Logger,
  type ObjectStore,
  type Page,
} from "@ods/kit";
import { z } from "zod";
import { Dataset, DatasetFormat, DatasetJobStatus, DatasetStatsJob, DatasetVersion } from "../entities/index.js";
import { StatsAccumulator } from "./column-stats.js";
import {
  COLUMN_TYPES,
  InferError,
  inferSchema,
  type ColumnSpec,
  type CsvDialect,
  type ReadableFormat,
} from "./infer-schema.js";
import { parquetRowCount, parquetRows, parquetSchema, withLocalFile, type Row } from "./parquet.js";
import { countRows, textRows } from "./read-data.js";

/** Files below this size get an exact row count in previews; larger ones would take too long to stream. */
export const COUNT_ROWS_BELOW_BYTES = 50 * 1024 * 1024;

const tags = z
  .array(z.string().trim().min(1, "must not be empty").max(64, "must be at most 64 characters"))
  .max(50, "at most 50 tags")
  .transform((list) => [...new Set(list)]);

const name = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const description = z.string().max(10_000, "must be at most 10000 characters").nullish();

const column = z.object({
  name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  type: z.enum(COLUMN_TYPES, { message: `must be one of ${COLUMN_TYPES.join(", ")}` }),
  nullable: z.boolean().default(true),
});

const columns = z
  .array(column)
  .min(1, "must list at least one column")
  .max(2000, "at most 2000 columns")
  .refine((cols) => new Set(cols.map((c) => c.name)).size === cols.length, "column names must be unique");

const storagePath = z.string().trim().min(1, "must not be empty").max(1024, "must be at most 1024 characters");
const dataSourceId = z.uuid("must be the id of an S3 data source").nullish();

export const registerDatasetInput = z.object({
  name,
  description,
  storagePath,
  dataSourceId,
  format: z.enum(DatasetFormat).nullish(),
  tags: tags.nullish(),
  columns: columns.nullish(),
});

export const createVersionInput = z.object({
  storagePath,
  dataSourceId,
  format: z.enum(DatasetFormat).nullish(),
  columns: columns.nullish(),
});

export const updateDatasetInput = z.object({
  name: name.nullish(),
  description,
  tags: tags.nullish(),
  columns: columns.nullish(),
});

export interface ListDatasetsArgs {
  search?: string | null;
  tags?: string[] | null;
  format?: DatasetFormat | null;
  first?: number | null;
  after?: string | null;
}

export interface DatasetPreview {
  columns: ColumnSpec[];
  rows: Row[];
  /** The version previewed, for `totalRows`. */
  version: DatasetVersion;
}

/** A page of rows: Relay edges whose cursor is the row's offset, and the number of rows when it is known. */
export interface RowPage {
  edges: { cursor: string; node: Row }[];
  pageInfo: PageInfo;
  totalCount: number | null;
}

export enum SchemaChangeKind {
  ADDED = "ADDED",
  REMOVED = "REMOVED",
  TYPE_CHANGED = "TYPE_CHANGED",
  NULLABILITY_CHANGED = "NULLABILITY_CHANGED",
}

export interface SchemaChange {
  column: string;
  kind: SchemaChangeKind;
  from: ColumnSpec | null;
  to: ColumnSpec | null;
}

/** A dataset seen as a table by SQL over datasets: its table name and where and how its file is written. */
export interface SqlSource {
  tableName: string;
  format: DatasetFormat;
  store: ObjectStore;
  key: string;
  csv?: { delimiter: string; header: boolean; quote: string; encoding: string };
  columns: ColumnSpec[];
}

/**
 * Resolves the object store of an S3 data source for one bucket (the data-source service's `s3Store`):
 * NOT_FOUND when there is no such source, BAD_USER_INPUT when it is not an S3 source.
 */
export type S3StoreResolver = (
  em: EntityManager,
  caller: Caller,
  dataSourceId: string,
  bucket: string,
) => ObjectStore | Promise<ObjectStore>;

export interface DatasetServiceOptions {
  /** How S3 data sources are reached; without it `s3://` paths are refused. */
  s3Store?: S3StoreResolver;
  /** Signs gateway download URLs for stores without presigned URLs (the local folder). */
  internalSecret?: string;
  logger?: Logger;
}

/** A file of a dataset, located: the store it is in, its key there, and how to read it. */
interface DataFile {
  store: ObjectStore;
  key: string;
  format: DatasetFormat;
  csv?: CsvDialect | null;
  columns: ColumnSpec[];
}

/** How long `Dataset.downloadUrl` stays valid, in seconds. */
export const DOWNLOAD_URL_TTL_SECONDS = 3600;

const EXTENSIONS: Record<string, DatasetFormat> = {
  csv: DatasetFormat.CSV,
  tsv: DatasetFormat.CSV,
  txt: DatasetFormat.CSV,
  jsonl: DatasetFormat.JSONL,
  ndjson: DatasetFormat.JSONL,
  json: DatasetFormat.JSON,
  parquet: DatasetFormat.PARQUET,
};

/** The format a file's extension names, if it names one we know. */
export function formatFromPath(path: string): DatasetFormat | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext ? EXTENSIONS[ext] : undefined;
}

/**
 * Datasets: registering files (from the platform's store or an S3 data source) with their schema, versions,
 * listing and search, changing, soft deletion and restore, previews, paging through rows, statistics, download
 * URLs, and the files SQL over datasets reads.
 */
export class DatasetService {
  private readonly jobs = new Set<Promise<void>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly dialect: Dialect,
    private readonly options: DatasetServiceOptions = {},
  ) {}

  /** One page of the datasets everyone signed in may read, newest first; deleted ones are never listed. */
  async list(em: EntityManager, args: ListDatasetsArgs): Promise<Page<Dataset>> {
    const { offset, limit } = pageWindow(args);
    // A raw fragment is recognised once per query, so the filter is built afresh for the count.
    const rows = await em.find(Dataset, this.listFilter(args), {
      orderBy: { createdAt: "desc", id: "desc" },
      offset,
      limit,
    });
    const total = await em.count(Dataset, this.listFilter(args));
    return toPage(rows, offset, total);
  }

  private listFilter(args: ListDatasetsArgs): FilterQuery<Dataset> {
    const and: FilterQuery<Dataset>[] = [{ deletedAt: null }];
    const search = args.search?.trim();
    if (search) {
      // lower() … like works alike in SQLite, PostgreSQL and MariaDB (SQLite has no ilike); `!` escapes the
      // wildcards so a search for "50%" finds that text and not everything starting with "50". Tags and column
      // names are searched in the JSON text of their columns, which holds them as quoted strings.
      const like = `%${search.toLowerCase().replace(/[!%_]/g, "!$&")}%`;
      // PostgreSQL's json has no lower(): read it as text first.
      const asText = (column: string) => (this.dialect === "postgresql" ? `cast(${column} as text)` : column);
      const matches = (column: string) => raw((a) => `lower(${asText(`${a}.${column}`)}) like ? escape '!'`, [like]);
      and.push({
        $or: [
          { [matches("name")]: [] },
          { [matches("description")]: [] },
          { [matches("tags")]: [] },
          { [this.columnNameMatch(like)]: [] },
        ],
      });
    }
    if (args.format) and.push({ format: args.format });
    for (const tag of args.tags ?? []) and.push(this.hasTag(tag));
    return { $and: and };
  }

  /** A dataset one of whose column names contains the pattern, in each dialect's JSON functions. */
  private columnNameMatch(like: string): string {
    switch (this.dialect) {
      case "sqlite":
        return raw(
          (a) =>
            `exists (select 1 from json_each(${a}.columns) as c where lower(json_extract(c.value, '$.name')) like ? escape '!')`,
          [like],
        );
      case "postgresql":
        return raw(
          (a) =>
            `exists (select 1 from jsonb_array_elements(${a}.columns::jsonb) as c where lower(c->>'name') like ? escape '!')`,
          [like],
        );
      case "mariadb":
        return raw((a) => `lower(json_extract(${a}.columns, '$[*].name')) like ? escape '!'`, [like]);
    }
  }

  /** A dataset whose `tags` array holds `tag`, in each dialect's JSON functions. */
  private hasTag(tag: string): FilterQuery<Dataset> {
    switch (this.dialect) {
      case "sqlite":
        return { [raw((a) => `exists (select 1 from json_each(${a}.tags) as t where t.value = ?)`, [tag])]: [] };
      case "postgresql":
        return { [raw((a) => `${a}.tags::jsonb @> cast(? as jsonb)`, [JSON.stringify([tag])])]: [] };
      case "mariadb":
        return { [raw((a) => `json_contains(${a}.tags, ?)`, [JSON.stringify(tag)])]: [] };
    }
  }

  /** The dataset, or null when there is none or it was deleted. */
  async find(em: EntityManager, id: string): Promise<Dataset | null> {
    return em.findOne(Dataset, { id, deletedAt: null });
  }

  /** Like {@link find}, but NOT_FOUND instead of null. */
  async get(em: EntityManager, id: string): Promise<Dataset> {
    const dataset = await this.find(em, id);
    if (!dataset) throw notFound("Dataset", id);
    return dataset;
  }

  /**
   * Where a storage path is: `s3://bucket/key` in the S3 data source `dataSourceId`, or a key in the platform's
   * own store.
   *
   * @throws BAD_USER_INPUT when the path is malformed, an S3 path has no data source (or a data source is given
   * for a plain key); NOT_FOUND when the data source does not exist.
   */
  private async locate(
    em: EntityManager,
    caller: Caller,
    path: string,
    dataSourceId: string | null | undefined,
  ): Promise<{ store: ObjectStore; key: string }> {
    const s3 = /^s3:\/\/([^/]+)\/(.+)$/i.exec(path);
    if (/^s3:\/\//i.test(path)) {
      if (!s3) {
        throw badInput(`storagePath ${path} is not of the form s3://bucket/key`, {
          storagePath: "must be s3://bucket/key",
        });
      }
      if (!dataSourceId) {
        throw badInput(`storagePath ${path} is in S3: pass the id of its S3 data source as dataSourceId`, {
          dataSourceId: "required for s3:// paths (register the bucket's endpoint with registerDataSource)",
        });
      }
      if (!this.options.s3Store) throw badInput("S3 data sources are not available in this deployment");
      const key = s3[2]!;
      checkKey(key);
      return { store: await this.options.s3Store(em, caller, dataSourceId, s3[1]!), key };
    }
    if (dataSourceId) {
      throw badInput(`dataSourceId is only for s3:// paths; ${path} is a key in the platform's store`, {
        dataSourceId: "only for s3:// paths",
      });
    }
    checkKey(path);
    return { store: this.store, key: path };
  }

  /**
   * Reads a new file whole once: infers its columns (unless given) and CSV dialect from its start, and computes
   * its SHA-256 and row count while streaming it, so a file of any size is never held in memory.
   */
  private async analyse(
    store: ObjectStore,
    key: string,
    format: DatasetFormat,
    given: ColumnSpec[] | null | undefined,
  ): Promise<{ columns: ColumnSpec[]; csv: CsvDialect | null; checksum: string; rows: number; bytes: number }> {
    const object = await store.stat(key);
    if (!object) {
      throw badInput(`No object exists at storagePath ${key}: upload the file first (createUploadUrl)`, {
        storagePath: "no object at this key",
      });
    }
    try {
      if (format === DatasetFormat.PARQUET) {
        return await withLocalFile(store, key, async (path) => {
          const inferred = await parquetSchema(path);
          const { checksum, bytes } = await digest(createReadStream(path));
          return { columns: given ?? inferred, csv: null, checksum, rows: await parquetRowCount(path), bytes };
        });
      }
      const readable = format as ReadableFormat;
      const inferred = await inferSchema(await store.get(key), readable);
      const csv = inferred.csv ?? null;
      const hash = createHash("sha256");
      let bytes = 0;
      const source = await store.get(key);
      const hashed = Readable.from(
        (async function* () {
          for await (const chunk of source as AsyncIterable<Buffer>) {
            hash.update(chunk);
            bytes += chunk.length;
            yield chunk;
          }
        })(),
        { objectMode: false },
      );
      const rows = await countRows(hashed, readable, csv);
      return { columns: given ?? inferred.columns, csv, checksum: hash.digest("hex"), rows, bytes };
    } catch (err) {
      if (err instanceof InferError) {
        throw badInput(`Cannot read ${key} as ${format}: ${err.message}`, { storagePath: err.message });
      }
      throw err;
    }
  }

  /**
   * Registers a file as a dataset, with version 1. The columns are inferred from the start of the file unless
   * given; the checksum and row count come from one streaming pass over it.
   *
   * @throws BAD_USER_INPUT when the input is invalid, the object does not exist, or the file cannot be read as
   * its format; NOT_FOUND when `dataSourceId` names no data source.
   */
  async register(
    em: EntityManager,
    caller: Caller & { userId: string },
    input: z.input<typeof registerDatasetInput>,
  ): Promise<Dataset> {
    const data = parseInput(registerDatasetInput, input);
    const { store, key } = await this.locate(em, caller, data.storagePath, data.dataSourceId);
    const format = formatOf(key, data.format);
    const file = await this.analyse(store, key, format, data.columns);
    const dataset = em.create(Dataset, {
      name: data.name,
      description: data.description ?? null,
      storagePath: data.storagePath,
      dataSourceId: data.dataSourceId ?? null,
      format,
      csv: file.csv,
      tags: data.tags ?? [],
      columns: file.columns,
      sizeBytes: file.bytes,
      ownerId: caller.userId,
      currentVersion: 1,
    });
    em.create(DatasetVersion, {
      datasetId: dataset.id,
      number: 1,
      storagePath: data.storagePath,
      dataSourceId: data.dataSourceId ?? null,
      format,
      csv: file.csv,
      checksum: file.checksum,
      rows: file.rows,
      bytes: file.bytes,
      columns: file.columns,
      createdById: caller.userId,
    });
    await em.flush();
    return dataset;
  }

  /**
   * Makes a new version of a dataset from another file (or the same path with new content); the dataset's
   * fields then describe it. Only the owner or an admin may.
   */
  async createVersion(
    em: EntityManager,
    caller: Caller & { userId: string },
    id: string,
    input: z.input<typeof createVersionInput>,
  ): Promise<Dataset> {
    const data = parseInput(createVersionInput, input);
    const dataset = await this.get(em, id);
    assertMayChange(caller, dataset);
    const { store, key } = await this.locate(em, caller, data.storagePath, data.dataSourceId);
    const format = formatOf(key, data.format);
    const file = await this.analyse(store, key, format, data.columns);
    await this.ensureFirstVersion(em, caller, dataset);
    const number = dataset.currentVersion + 1;
    em.create(DatasetVersion, {
      datasetId: dataset.id,
      number,
      storagePath: data.storagePath,
      dataSourceId: data.dataSourceId ?? null,
      format,
      csv: file.csv,
      checksum: file.checksum,
      rows: file.rows,
      bytes: file.bytes,
      columns: file.columns,
      createdById: caller.userId,
    });
    Object.assign(dataset, {
      storagePath: data.storagePath,
      dataSourceId: data.dataSourceId ?? null,
      format,
      csv: file.csv,
      columns: file.columns,
      sizeBytes: file.bytes,
      currentVersion: number,
    });
    await em.flush();
    return dataset;
  }

  /**
   * Datasets registered before versions existed have no version row: give them one from the dataset's fields
   * (checksum computed now) so their history starts at 1.
   */
  private async ensureFirstVersion(em: EntityManager, caller: Caller, dataset: Dataset): Promise<void> {
    if (await em.count(DatasetVersion, { datasetId: dataset.id })) return;
    const version = impliedVersionOf(dataset);
    const { store, key } = await this.locate(em, caller, dataset.storagePath, dataset.dataSourceId);
    const { checksum } = await digest(await store.get(key));
    version.checksum = checksum;
    em.persist(version);
  }

  /** Every version of a dataset, oldest first. */
  async versions(em: EntityManager, dataset: Dataset): Promise<DatasetVersion[]> {
    const versions = await em.find(DatasetVersion, { datasetId: dataset.id }, { orderBy: { number: "asc" } });
    return versions.length > 0 ? versions : [impliedVersionOf(dataset)];
  }

  /** Version `number` of a dataset (the newest when not given); NOT_FOUND when it has no such version. */
  async version(em: EntityManager, dataset: Dataset, number?: number | null): Promise<DatasetVersion> {
    const n = number ?? dataset.currentVersion;
    const found = await em.findOne(DatasetVersion, { datasetId: dataset.id, number: n });
    if (found) return found;
    if (n === dataset.currentVersion) return impliedVersionOf(dataset);
    throw notFound("Dataset version", `${dataset.id}@${n}`);
  }

  /** The schema change between two versions, column by column (by name), in the order of the newer schema. */
  async schemaChanges(em: EntityManager, dataset: Dataset, from: number, to: number): Promise<SchemaChange[]> {
    const [a, b] = [await this.version(em, dataset, from), await this.version(em, dataset, to)];
    return diffSchemas(a.columns, b.columns);
  }

  /** Changes name, description, tags or the schema's column types and names; only the owner or an admin may. */
  async update(
    em: EntityManager,
    caller: Caller,
    id: string,
    input: z.input<typeof updateDatasetInput>,
  ): Promise<Dataset> {
    const data = parseInput(updateDatasetInput, input);
    const dataset = await this.get(em, id);
    assertMayChange(caller, dataset);
    if (data.name != null) dataset.name = data.name;
    if (data.description !== undefined) dataset.description = data.description;
    if (data.tags != null) dataset.tags = data.tags;
    if (data.columns != null) {
      dataset.columns = data.columns;
      const version = await em.findOne(DatasetVersion, { datasetId: dataset.id, number: dataset.currentVersion });
      if (version) version.columns = data.columns;
    }
    await em.flush();
    return dataset;
  }

  /**
   * Deletes a dataset softly: it disappears from every query but the row stays, so references from other
   * subgraphs resolve to null instead of failing, and {@link restore} can bring it back. Files are kept.
   */
  async delete(em: EntityManager, caller: Caller, id: string): Promise<boolean> {
    const dataset = await this.get(em, id);
    assertMayChange(caller, dataset);
    dataset.deletedAt = new Date();
    await em.flush();
    return true;
  }

  /** Brings back a soft-deleted dataset; only its owner or an admin may. NOT_FOUND when it was never there. */
  async restore(em: EntityManager, caller: Caller, id: string): Promise<Dataset> {
    const dataset = await em.findOne(Dataset, { id });
    if (!dataset || (dataset.deletedAt && !mayChange(caller, dataset))) throw notFound("Dataset", id);
    assertMayChange(caller, dataset);
    dataset.deletedAt = null;
    await em.flush();
    return dataset;
  }

  /** The located file of a version, ready to read. */
  private async fileOf(em: EntityManager, caller: Caller, version: DatasetVersion): Promise<DataFile> {
    const { store, key } = await this.locate(em, caller, version.storagePath, version.dataSourceId);
    return { store, key, format: version.format, csv: version.csv, columns: version.columns };
  }

  /**
   * Streams the rows of a file from row `offset` on. Text formats are parsed as they arrive; Parquet is read by
   * DuckDB, from the file in place or a temporary copy for remote stores.
   */
  private async *rowsOf(file: DataFile, offset = 0): AsyncGenerator<Row> {
    try {
      if (file.format !== DatasetFormat.PARQUET) {
        yield* textRows(await file.store.get(file.key), file.format, file.columns, { offset, dialect: file.csv });
        return;
      }
      const local = file.store.localPath?.(file.key);
      if (local) {
        yield* parquetRows(local, file.columns, offset);
        return;
      }
      const dir = await mkdtemp(join(tmpdir(), "ods-dataset-rows-"));
      try {
        const path = join(dir, "data.parquet");
        await pipeline(await file.store.get(file.key), createWriteStream(path));
        yield* parquetRows(path, file.columns, offset);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } catch (err) {
      if (err instanceof InferError) throw badInput(`Cannot read ${file.key}: ${err.message}`);
      throw err;
    }
  }

  /**
   * Every row of a version (the newest by default), streamed from the file in one pass: what
   * `GET /api/datasets/<id>/rows` sends, and how the SDK reads a dataset of any size whole.
   */
  async *streamRows(
    em: EntityManager,
    caller: Caller,
    dataset: Dataset,
    versionNumber?: number | null,
  ): AsyncGenerator<Row> {
    const version = await this.version(em, dataset, versionNumber);
    yield* this.rowsOf(await this.fileOf(em, caller, version));
  }

  /**
   * The first `limit` rows (1–1000) of a version (the newest by default), typed by its columns; reads only the
   * start of the file, so a 10 GB file previews as fast as a 10 KB one.
   */
  async preview(
    em: EntityManager,
    caller: Caller,
    dataset: Dataset,
    limit: number,
    versionNumber?: number | null,
  ): Promise<DatasetPreview> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw badInput("limit must be between 1 and 1000", { limit: "must be between 1 and 1000" });
    }
    const version = await this.version(em, dataset, versionNumber);
    const file = await this.fileOf(em, caller, version);
    const rows: Row[] = [];
    for await (const row of this.rowsOf(file)) {
      rows.push(row);
      if (rows.length >= limit) break;
    }
    return { columns: version.columns, rows, version };
  }

  /** The number of data rows of a version: counted when it was registered. */
  totalRows(version: DatasetVersion): number | null {
    return version.rows ?? null;
  }

  /**
   * One page of a version's rows (`first` 1–1000, default 100). The cursor is the row's offset; each page is
   * streamed from the file without loading it whole.
   */
  async rows(
    em: EntityManager,
    caller: Caller,
    dataset: Dataset,
    args: { first?: number | null; after?: string | null; version?: number | null },
  ): Promise<RowPage> {
    const { limit } = pageWindow({ first: args.first }, 1000);
    const offset = decodeCursor(args.after);
    const version = await this.version(em, dataset, args.version);
    const file = await this.fileOf(em, caller, version);
    const nodes: Row[] = [];
    for await (const row of this.rowsOf(file, offset)) {
      nodes.push(row);
      // One row past the page tells whether there is a next page, whether or not the count is known.
      if (nodes.length > limit) break;
    }
    const edges = nodes.slice(0, limit).map((node, i) => ({ cursor: encodeCursor(offset + i), node }));
    return {
      edges,
      totalCount: version.rows ?? null,
      pageInfo: {
        hasNextPage: nodes.length > limit,
        hasPreviousPage: offset > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  /**
   * A URL that downloads the current file: the store's presigned GET when it has one (S3), else the gateway's
   * `/objects/download/<token>` route (relative to the gateway, like upload URLs).
   */
  async downloadUrl(em: EntityManager, caller: Caller, dataset: Dataset): Promise<string> {
    const { store, key } = await this.locate(em, caller, dataset.storagePath, dataset.dataSourceId);
    if (store.presignedGetUrl) return store.presignedGetUrl(key, DOWNLOAD_URL_TTL_SECONDS);
    if (!this.options.internalSecret) throw badInput("Downloads are not available in this deployment");
    const fileName = key.split("/").pop();
    const { token } = await signDownloadToken(
      this.options.internalSecret,
      { key, ...(fileName ? { fileName } : {}) },
      DOWNLOAD_URL_TTL_SECONDS,
    );
    return `/objects/download/${token}`;
  }

  /**
   * Starts computing the statistics of the current version in the background and returns the job at once;
   * poll it with {@link statsJob}. Any signed-in user may ask, as statistics only describe what they can read.
   */
  async computeStats(em: EntityManager, caller: Caller, id: string): Promise<DatasetStatsJob> {
    const dataset = await this.get(em, id);
    const version = await this.version(em, dataset);
    const file = await this.fileOf(em, caller, version);
    const job = em.create(DatasetStatsJob, { datasetId: dataset.id, version: version.number });
    await em.flush();
    const run = this.runStats(em.fork(), job.id, version, file).finally(() => this.jobs.delete(run));
    this.jobs.add(run);
    return job;
  }

  private async runStats(em: EntityManager, jobId: string, version: DatasetVersion, file: DataFile): Promise<void> {
    const update = (data: Partial<DatasetStatsJob>) => em.nativeUpdate(DatasetStatsJob, { id: jobId }, data);
    try {
      await update({ status: DatasetJobStatus.RUNNING });
      const stats = new StatsAccumulator(file.columns);
      const total = version.rows ?? null;
      let reported = Date.now();
      for await (const row of this.rowsOf(file)) {
        stats.add(row);
        // Progress is written about twice a second, not per row.
        if (Date.now() - reported > 500) {
          reported = Date.now();
          await update({ rowsDone: stats.rows, progress: total ? Math.min(0.99, stats.rows / total) : 0 });
        }
      }
      await update({
        status: DatasetJobStatus.SUCCEEDED,
        progress: 1,
        rowsDone: stats.rows,
        finishedAt: new Date(),
        stats: {
          version: version.number,
          rows: stats.rows,
          bytes: version.bytes,
          columns: stats.result(),
          computedAt: new Date().toISOString(),
        },
      });
    } catch (err) {
      this.options.logger?.warn({ err, jobId }, "dataset statistics failed");
      await update({
        status: DatasetJobStatus.FAILED,
        error: (err as Error).message,
        finishedAt: new Date(),
      }).catch(() => undefined);
    }
  }

  /** A statistics job by id, or null. */
  async statsJob(em: EntityManager, id: string): Promise<DatasetStatsJob | null> {
    const job = await em.findOne(DatasetStatsJob, { id });
    if (!job || !(await this.find(em, job.datasetId))) return null;
    return job;
  }

  /** The newest finished statistics of the dataset's current version, or null when none were computed. */
  async stats(em: EntityManager, dataset: Dataset): Promise<DatasetStatsJob | null> {
    return em.findOne(
      DatasetStatsJob,
      { datasetId: dataset.id, version: dataset.currentVersion, status: DatasetJobStatus.SUCCEEDED },
      { orderBy: { createdAt: "desc" } },
    );
  }

  /** Waits for the statistics jobs running in this process (for shutdown and tests). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.jobs]);
  }

  /**
   * The datasets SQL may read, as tables: each one's table name and the current file with its format and CSV
   * dialect. NOT_FOUND for an id that names no (undeleted) dataset; BAD_USER_INPUT when two datasets share a
   * table name or the list is empty.
   */
  async sqlSources(em: EntityManager, caller: Caller, datasetIds: string[]): Promise<SqlSource[]> {
    const ids = [...new Set(datasetIds)];
    if (ids.length === 0) throw badInput("Name at least one dataset", { datasetIds: "must not be empty" });
    const found = await em.find(Dataset, { id: { $in: ids }, deletedAt: null });
    const byId = new Map(found.map((d) => [d.id, d]));
    const sources: SqlSource[] = [];
    const names = new Map<string, string>();
    for (const id of ids) {
      const dataset = byId.get(id);
      if (!dataset) throw notFound("Dataset", id);
      const clash = names.get(dataset.tableName);
      if (clash) {
        throw badInput(
          `Datasets ${clash} and ${id} are both called ${dataset.tableName} in SQL: rename one (updateDataset)`,
          { datasetIds: "table names must be unique" },
        );
      }
      names.set(dataset.tableName, id);
      const { store, key } = await this.locate(em, caller, dataset.storagePath, dataset.dataSourceId);
      const csv = dataset.format === DatasetFormat.CSV ? (dataset.csv ?? DEFAULT_DIALECT) : undefined;
      sources.push({
        tableName: dataset.tableName,
        format: dataset.format,
        store,
        key,
        columns: dataset.columns,
        ...(csv ? { csv: { ...csv } } : {}),
      });
    }
    return sources;
  }
}

const DEFAULT_DIALECT: CsvDialect = { delimiter: ",", quote: '"', header: true, encoding: "utf-8" };

/** The version a dataset registered before versions existed implies: its current fields, checksum unknown. */
function impliedVersionOf(dataset: Dataset): DatasetVersion {
  const version = new DatasetVersion();
  Object.assign(version, {
    datasetId: dataset.id,
    number: dataset.currentVersion,
    storagePath: dataset.storagePath,
    dataSourceId: dataset.dataSourceId ?? null,
    format: dataset.format,
    csv: dataset.csv ?? null,
    checksum: "",
    rows: null,
    bytes: dataset.sizeBytes,
    columns: dataset.columns,
    createdById: dataset.ownerId,
    createdAt: dataset.createdAt,
  });
  return version;
}

/** The column-by-column difference between two schemas, matched by name. */
export function diffSchemas(from: ColumnSpec[], to: ColumnSpec[]): SchemaChange[] {
  const before = new Map(from.map((c) => [c.name, c]));
  const after = new Map(to.map((c) => [c.name, c]));
  const changes: SchemaChange[] = [];
  for (const column of to) {
    const old = before.get(column.name);
    if (!old) changes.push({ column: column.name, kind: SchemaChangeKind.ADDED, from: null, to: column });
    else if (old.type !== column.type) {
      changes.push({ column: column.name, kind: SchemaChangeKind.TYPE_CHANGED, from: old, to: column });
    } else if (old.nullable !== column.nullable) {
      changes.push({ column: column.name, kind: SchemaChangeKind.NULLABILITY_CHANGED, from: old, to: column });
    }
  }
  for (const column of from) {
    if (!after.has(column.name)) {
      changes.push({ column: column.name, kind: SchemaChangeKind.REMOVED, from: column, to: null });
    }
  }
  return changes;
}

function formatOf(key: string, given: DatasetFormat | null | undefined): DatasetFormat {
  const format = given ?? formatFromPath(key);
  if (!format) {
    throw badInput(`Cannot tell the format of ${key} from its extension: pass format (CSV, JSONL, JSON or PARQUET)`, {
      format: "required when the file name has no known extension",
    });
  }
  return format;
}

function checkKey(key: string): void {
  try {
    assertObjectKey(key);
  } catch {
    throw badInput(`storagePath ${JSON.stringify(key)} is not a valid object key`, {
      storagePath: "must be a key such as uploads/<id>/file.csv",
    });
  }
}

/** SHA-256 and size of a stream, read once. */
async function digest(source: Readable): Promise<{ checksum: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { checksum: hash.digest("hex"), bytes };
}

function mayChange(caller: Caller, dataset: Dataset): boolean {
  return caller.roles.includes("admin") || dataset.ownerId === caller.userId;
}

/** Editors change what they own; admins change everything. */
function assertMayChange(caller: Caller, dataset: Dataset): void {
  if (!mayChange(caller, dataset)) throw forbidden("Only the owner of this dataset or an admin may change it");
}
