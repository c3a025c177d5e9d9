import { signInternalToken, type Caller } from "./auth.js";
import { AppError, ErrorCode, upstreamUnavailable } from "./errors.js";

/** One row as the dataset subgraph sends it: column name → value. */
export type DatasetRow = Record<string, unknown>;

export interface ReadRowsOptions {
  /** The version number; the newest version when not given. */
  version?: number;
  /** Stops the read (and closes the connection) when aborted. */
  signal?: AbortSignal;
}

/**
 * Reads a dataset's rows from the dataset subgraph's `GET /api/datasets/<id>/rows[?version=n]` (NDJSON), acting
 * for a caller: the dataset subgraph checks that the caller may read the dataset, so a workflow or a knowledge base
 * never reads a dataset its user cannot see. Subgraphs read datasets only through this route, never the dataset
 * subgraph's tables.
 *
 * @remarks Rows are yielded as they arrive. A consumer that stops early (`break`, `return`) closes the response
 * at once, so taking the first hundred rows of a 10 GB dataset costs a hundred rows plus what was in flight, not
 * a scan of the file.
 */
export class DatasetReader {
  constructor(
    private readonly datasetUrl: string,
    private readonly internalSecret: string,
  ) {}

  /**
   * The rows of `datasetId`, in file order.
   *
   * @throws AppError with the dataset subgraph's code and message (NOT_FOUND for a dataset or version that does
   * not exist or that the caller cannot see, BAD_USER_INPUT, UNAUTHENTICATED), or UPSTREAM_UNAVAILABLE when the
   * service cannot be reached, answers something else, or breaks off the stream part-way.
   */
  async *rows(datasetId: string, caller: Caller, options: ReadRowsOptions = {}): AsyncGenerator<DatasetRow> {
    const url = new URL(`${this.datasetUrl.replace(/\/+$/, "")}/api/datasets/${encodeURIComponent(datasetId)}/rows`);
    if (options.version !== undefined) url.searchParams.set("version", String(options.version));
    // Our own controller, so that stopping early closes the connection even when the caller passed no signal.
    const controller = new AbortController();
    const signal = options.signal ? AbortSignal.any([controller.signal, options.signal]) : controller.signal;
    const token = await signInternalToken(this.internalSecret, caller, 300);
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal });
    } catch (err) {
      if (signal.aborted) throw err;
      throw upstreamUnavailable(`The dataset service at ${this.datasetUrl} could not be reached (${reason(err)})`);
    }
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      const code = body?.error?.code;
      const known = code && Object.values(ErrorCode).includes(code as ErrorCode) ? (code as ErrorCode) : null;
      throw new AppError(
        known && known !== ErrorCode.INTERNAL_SERVER_ERROR ? known : ErrorCode.UPSTREAM_UNAVAILABLE,
        body?.error?.message ?? `The dataset service answered HTTP ${res.status}`,
      );
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    let count = 0;
    const parse = (line: string): DatasetRow => {
      try {
        return JSON.parse(line) as DatasetRow;
      } catch {
        throw upstreamUnavailable(`The dataset service sent a line that is not JSON after ${count} rows`);
      }
    };
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (signal.aborted) throw err;
          // The route ends the response abruptly when reading fails after the first row.
          throw upstreamUnavailable(`The dataset stream broke off after ${count} rows (${reason(err)})`);
        }
        if (chunk.done) break;
        buffered += chunk.value;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) !== -1) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (!line.trim()) continue;
          count++;
          yield parse(line);
        }
      }
      if (buffered.trim()) yield parse(buffered);
    } finally {
      // Reached on a normal end, an error, and when the consumer stops early: the last closes the connection.
      controller.abort();
      await reader.cancel().catch(() => undefined);
    }
  }
}

/** The most telling message of a fetch failure (undici puts the socket error in `cause`). */
function reason(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
