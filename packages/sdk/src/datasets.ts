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

/** Options of {@link Dataset.rows}. */
export interface RowsOptions {
  /** Read this version instead of the newest. */
  version?: number;
  /** Stops the stream (and the server's scan of the file) when aborted. */
  signal?: AbortSignal;
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
   * Every row of the dataset, as objects keyed by column name, in file order.
   *
   * @remarks Streams `GET /api/datasets/<id>/rows` (NDJSON): the server reads the file once, from start to end, and
   * rows arrive as it does, so memory stays flat however large the dataset is. Stop iterating at any time and the
   * server stops reading. A stream cut off part-way throws instead of ending, so a loop that finishes has seen
   * every row.
   *
   * @throws {@link OdsError} `NOT_FOUND` when the dataset was deleted, `STREAM_INTERRUPTED` when the connection
   * broke part-way, and the server's code for any other refusal.
   *
   * @example
   * ```ts
   * const ds = await ods.datasets.get(id);
   * for await (const row of ds.rows()) console.log(row);
   * ```
   */
  async *rows(options: RowsOptions = {}): AsyncGenerator<DatasetRow, void, undefined> {
    const query = options.version === undefined ? "" : `?version=${options.version}`;
    const abort = new AbortController();
    const forward = () => abort.abort();
    options.signal?.addEventListener("abort", forward, { once: true });
    try {
      const response = await this.#transport.get(
        `/api/datasets/${encodeURIComponent(this.id)}/rows${query}`,
        abort.signal,
      );
      if (!response.ok || !response.body) {
        const body = (await response.json().catch(() => null)) as {
          error?: { code?: string; message?: string };
        } | null;
        throw new OdsError(
          body?.error?.code ?? "HTTP_ERROR",
          body?.error?.message ?? `The server answered ${response.status}`,
          {
            status: response.status,
          },
        );
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = "";
      try {
        for (;;) {
          let chunk: { done: boolean; value?: string };
          try {
            chunk = await reader.read();
          } catch (error) {
            throw new OdsError(
              "STREAM_INTERRUPTED",
              `The rows of dataset ${this.id} stopped part-way; read them again`,
              {
                cause: error,
              },
            );
          }
          if (chunk.done) break;
          buffered += chunk.value ?? "";
          let newline: number;
          while ((newline = buffered.indexOf("\n")) >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            if (line.trim()) yield asRow(JSON.parse(line));
          }
        }
        if (buffered.trim()) yield asRow(JSON.parse(buffered));
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    } finally {
      options.signal?.removeEventListener("abort", forward);
      abort.abort();
    }
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
