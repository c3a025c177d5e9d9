import { raw, type EntityManager, type FilterQuery } from "@mikro-orm/core";
import {
  assertObjectKey,
  badInput,
  forbidden,
  notFound,
  pageWindow,
  parseInput,
  toPage,
  type Caller,
  type Dialect,
  type ObjectStore,
  type Page,
} from "@ods/kit";
import { z } from "zod";
import { Dataset, DatasetFormat } from "../entities/index.js";
import { COLUMN_TYPES, InferError, inferSchema, type ColumnSpec, type ReadableFormat } from "./infer-schema.js";
import { countRows, readRows, type Row } from "./read-data.js";

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

export const registerDatasetInput = z.object({
  name,
  description,
  storagePath: z.string().trim().min(1, "must not be empty").max(1024, "must be at most 1024 characters"),
  format: z.enum(DatasetFormat).nullish(),
  tags: tags.nullish(),
  columns: z
    .array(column)
    .min(1, "must list at least one column")
    .max(2000, "at most 2000 columns")
    .refine((cols) => new Set(cols.map((c) => c.name)).size === cols.length, "column names must be unique")
    .nullish(),
});

export const updateDatasetInput = z.object({ name: name.nullish(), description, tags: tags.nullish() });

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
}

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

/** Datasets: registering files with their schema, listing, changing, soft deletion, previews. */
export class DatasetService {
  constructor(
    private readonly store: ObjectStore,
    private readonly dialect: Dialect,
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
      // wildcards so a search for "50%" finds that text and not everything starting with "50".
      const like = `%${search.toLowerCase().replace(/[!%_]/g, "!$&")}%`;
      const matches = (column: string) => raw((a) => `lower(${a}.${column}) like ? escape '!'`, [like]);
      and.push({ $or: [{ [matches("name")]: [] }, { [matches("description")]: [] }] });
    }
    if (args.format) and.push({ format: args.format });
    for (const tag of args.tags ?? []) and.push(this.hasTag(tag));
    return { $and: and };
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
   * Registers a file in the object store as a dataset. The columns are inferred from the start of the file
   * unless given.
   *
   * @throws BAD_USER_INPUT when the input is invalid, the object does not exist, the path or format is one this
   * release cannot read, or the file cannot be read as its format.
   */
  async register(
    em: EntityManager,
    caller: Caller & { userId: string },
    input: z.input<typeof registerDatasetInput>,
  ): Promise<Dataset> {
    const data = parseInput(registerDatasetInput, input);
    const path = data.storagePath;
    if (/^s3:\/\//i.test(path)) {
      throw badInput(
        `storagePath ${path} is in S3: S3 paths need a data source, which this release does not support yet; ` +
          "upload the file with createUploadUrl and register its key instead",
        { storagePath: "S3 paths need a data source (not supported yet)" },
      );
    }
    try {
      assertObjectKey(path);
    } catch {
      throw badInput(`storagePath ${JSON.stringify(path)} is not a valid object key`, {
        storagePath: "must be a key such as uploads/<id>/file.csv",
      });
    }
    const format = data.format ?? formatFromPath(path);
    if (!format) {
      throw badInput(`Cannot tell the format of ${path} from its extension: pass format (CSV or JSONL)`, {
        format: "required when the file name has no known extension",
      });
    }
    if (format === DatasetFormat.PARQUET || format === DatasetFormat.JSON) {
      throw badInput(
        `${format} datasets are not supported yet (they come in a later release); use CSV or JSONL for now`,
        { format: `${format} is not supported yet` },
      );
    }
    const object = await this.store.stat(path);
    if (!object) {
      throw badInput(`No object exists at storagePath ${path}: upload the file first (createUploadUrl)`, {
        storagePath: "no object at this key",
      });
    }
    const columns = data.columns ?? (await this.infer(path, format));
    const dataset = em.create(Dataset, {
      name: data.name,
      description: data.description ?? null,
      storagePath: path,
      format,
      tags: data.tags ?? [],
      columns,
      sizeBytes: object.size,
      ownerId: caller.userId,
    });
    await em.persistAndFlush(dataset);
    return dataset;
  }

  private async infer(path: string, format: ReadableFormat): Promise<ColumnSpec[]> {
    try {
      return (await inferSchema(await this.store.get(path), format)).columns;
    } catch (err) {
      if (err instanceof InferError) {
        throw badInput(`Cannot read ${path} as ${format}: ${err.message}`, { storagePath: err.message });
      }
      throw err;
    }
  }

  /** Changes name, description or tags; only the owner or an admin may. */
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
    await em.flush();
    return dataset;
  }

  /**
   * Deletes a dataset softly: it disappears from every query but the row stays, so references from other
   * subgraphs resolve to null instead of failing. The file in the object store is kept.
   */
  async delete(em: EntityManager, caller: Caller, id: string): Promise<boolean> {
    const dataset = await this.get(em, id);
    assertMayChange(caller, dataset);
    dataset.deletedAt = new Date();
    await em.flush();
    return true;
  }

  /** The first `limit` rows (1–1000), typed by the dataset's columns; reads only the start of the file. */
  async preview(dataset: Dataset, limit: number): Promise<DatasetPreview> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw badInput("limit must be between 1 and 1000", { limit: "must be between 1 and 1000" });
    }
    const format = readableFormat(dataset);
    try {
      const rows = await readRows(await this.store.get(dataset.storagePath), format, dataset.columns, limit);
      return { columns: dataset.columns, rows };
    } catch (err) {
      if (err instanceof InferError) throw badInput(`Cannot read ${dataset.storagePath}: ${err.message}`);
      throw err;
    }
  }

  /** The number of data rows, when the file is small enough to stream whole quickly; otherwise null. */
  async totalRows(dataset: Dataset): Promise<number | null> {
    const object = await this.store.stat(dataset.storagePath);
    if (!object || object.size >= COUNT_ROWS_BELOW_BYTES) return null;
    return countRows(await this.store.get(dataset.storagePath), readableFormat(dataset));
  }
}

function readableFormat(dataset: Dataset): ReadableFormat {
  if (dataset.format === DatasetFormat.CSV || dataset.format === DatasetFormat.JSONL) return dataset.format;
  throw badInput(`${dataset.format} datasets cannot be read yet`);
}

/** Editors change what they own; admins change everything. */
function assertMayChange(caller: Caller, dataset: Dataset): void {
  if (caller.roles.includes("admin") || dataset.ownerId === caller.userId) return;
  throw forbidden("Only the owner of this dataset or an admin may change it");
}
