import { DatasetPreviewQuery, DatasetQuery, DatasetsQuery } from "./documents.js";
import { OdsError } from "./errors.js";
import type { SdkDatasetPreviewQuery, SdkDatasetQuery, SdkDatasetsQuery } from "./gql/graphql.js";
import { toPage, type Page, type PageOptions, type Transport } from "./transport.js";

type DatasetMetadata = NonNullable<SdkDatasetQuery["dataset"]>;

/** A dataset as {@link DatasetsApi.list} returns it (without its columns). */
export type DatasetSummary = SdkDatasetsQuery["datasets"]["edges"][number]["node"];
/** One column of a dataset's schema. */
export type DatasetColumn = DatasetMetadata["columns"][number];
/** The first rows of a dataset, with its schema and (when known) its row count. */
export type DataPreview = NonNullable<SdkDatasetPreviewQuery["dataset"]>["preview"];
/** One row of data, keyed by column name, values as JSON. */
export type DatasetRow = Record<string, unknown>;

/**
 * The most rows the platform returns from a dataset in one read: `Dataset.preview(limit)` accepts at most this
 * many, and the public API has no other way to read rows yet.
 */
export const MAX_READABLE_ROWS = 1000;

/** Options of {@link Dataset.rows}. */
export interface RowsOptions {
  /**
   * Yield the first {@link MAX_READABLE_ROWS} rows of a larger dataset instead of throwing `TOO_MANY_ROWS`.
   * @defaultValue false
   */
  allowPartial?: boolean;
}

/** Options of {@link DatasetsApi.list}. */
export interface ListDatasetsOptions extends PageOptions {
  /** Matches names and descriptions. */
  search?: string;
}

function asRow(value: unknown): DatasetRow {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as DatasetRow;
  throw new OdsError("INTERNAL_SERVER_ERROR", "The server returned a row that is not an object.");
}

/** A dataset's metadata, with calls that read its data. */
export class Dataset {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  /** The name by which SQL (`runSql`) refers to this dataset. */
  readonly tableName: string;
  readonly format: DatasetMetadata["format"];
  readonly tags: readonly string[];
  readonly columns: readonly DatasetColumn[];
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601. */
  readonly updatedAt: string;
  readonly #transport: Transport;

  constructor(transport: Transport, metadata: DatasetMetadata) {
    this.#transport = transport;
    this.id = metadata.id;
    this.name = metadata.name;
    this.description = metadata.description ?? null;
    this.tableName = metadata.tableName;
    this.format = metadata.format;
    this.tags = metadata.tags;
    this.columns = metadata.columns;
    this.createdAt = metadata.createdAt;
    this.updatedAt = metadata.updatedAt;
  }

  /**
   * The first `limit` rows and the schema, as the platform's preview shows them.
   * @param limit - @defaultValue 20
   */
  async preview(limit = 20): Promise<DataPreview> {
    const data = await this.#transport.graphql(DatasetPreviewQuery, { id: this.id, limit });
    if (!data.dataset) throw new OdsError("NOT_FOUND", `Dataset ${this.id} was not found.`);
    return data.dataset.preview;
  }

  /**
   * Every row of the dataset, as objects keyed by column name.
   *
   * @remarks
   * Limited to {@link MAX_READABLE_ROWS} rows. The platform's API reads rows only through
   * `Dataset.preview(limit)`, which returns the first rows of the file and accepts at most that many; there is no
   * paging or download of the rest yet. So that a loop never mistakes the start of a file for all of it, this
   * throws an {@link OdsError} `TOO_MANY_ROWS` before yielding anything when the dataset has more rows (or may
   * have: files of 50 MB or more are not counted), unless `allowPartial` is set.
   *
   * @throws {@link OdsError} `TOO_MANY_ROWS` as described above; `NOT_FOUND` when the dataset was deleted.
   *
   * @example
   * ```ts
   * const ds = await ods.datasets.get(id);
   * for await (const row of ds.rows()) console.log(row);
   * ```
   */
  async *rows(options: RowsOptions = {}): AsyncGenerator<DatasetRow, void, undefined> {
    const { rows, totalRows } = await this.preview(MAX_READABLE_ROWS);
    const complete =
      totalRows === null || totalRows === undefined ? rows.length < MAX_READABLE_ROWS : totalRows <= rows.length;
    if (!complete && !options.allowPartial) {
      const count = totalRows === null || totalRows === undefined ? "more than" : `${totalRows} rows, more than`;
      throw new OdsError(
        "TOO_MANY_ROWS",
        `Dataset ${this.id} has ${count} the ${MAX_READABLE_ROWS} rows the API can return; ` +
          "pass { allowPartial: true } to read the first ones.",
      );
    }
    for (const row of rows) yield asRow(row);
  }
}

/** Datasets: metadata and data. */
export class DatasetsApi {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * A dataset's metadata, with {@link Dataset.rows} to read its data.
   * @throws {@link OdsError} `NOT_FOUND` when there is no such dataset (or it belongs to someone else).
   */
  async get(id: string): Promise<Dataset> {
    const data = await this.#transport.graphql(DatasetQuery, { id });
    if (!data.dataset) throw new OdsError("NOT_FOUND", `Dataset ${id} was not found.`);
    return new Dataset(this.#transport, data.dataset);
  }

  /** One page of the datasets the caller can see. */
  async list(options: ListDatasetsOptions = {}): Promise<Page<DatasetSummary>> {
    const data = await this.#transport.graphql(DatasetsQuery, {
      search: options.search ?? null,
      first: options.first ?? null,
      after: options.after ?? null,
    });
    return toPage(data.datasets);
  }
}
