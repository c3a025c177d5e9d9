import { AppError, badInput, ErrorCode, upstreamUnavailable } from "@ods/kit";
import type { CatalogTableInfo, QueryLimits, QueryOutput } from "../sql/types.js";

/** How long connecting to a source may take before it counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** Tables below this many (estimated) rows get an exact count in the catalog; larger ones keep the estimate. */
export const EXACT_COUNT_BELOW = 1_000_000;

/** How long one exact row count may take during a catalog refresh before the estimate is kept instead. */
export const COUNT_TIMEOUT_MS = 5_000;

/** Reports catalog progress: `done` of `total` tables read. */
export type ProgressFn = (done: number, total: number) => void;

/** What the service needs from each kind of database. Every method opens its own connection and closes it. */
export interface DatabaseDriver {
  /** Connects and runs a trivial statement; rejects with the driver's reason when that fails. */
  test(): Promise<void>;
  /** Reads tables, views and their columns, keys, comments and row counts. */
  introspect(onProgress: ProgressFn): Promise<CatalogTableInfo[]>;
  /**
   * Runs one statement read-only under `limits`, reading at most `limit + 1` rows.
   *
   * @throws BAD_USER_INPUT when the database refuses the statement or it times out; UPSTREAM_UNAVAILABLE when the
   * database cannot be reached.
   */
  query(sql: string, limits: QueryLimits): Promise<QueryOutput>;
}

/** The driver's own words for a failure, without a stack. */
export function reason(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/\s+/g, " ").trim() || err.name;
  return String(err);
}

export function queryTimedOut(ms: number): AppError {
  return new AppError(ErrorCode.BAD_USER_INPUT, `The query ran longer than ${ms} ms and was stopped`, {
    reason: "TIMEOUT",
  });
}

export const queryAborted = () =>
  new AppError(ErrorCode.BAD_USER_INPUT, "The query was cancelled", { reason: "CANCELLED" });

export const refused = (err: unknown) => badInput(`The database refused the statement: ${reason(err)}`);

export const unreachable = (what: string, err: unknown) => upstreamUnavailable(`Cannot reach ${what}: ${reason(err)}`);

/** Makes column names unique (`id`, `id_2`, …) so rows can be objects keyed by name without losing values. */
export function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    if (count === 1) return name;
    let candidate = `${name}_${count}`;
    while (names.includes(candidate)) candidate = `${candidate}_`;
    return candidate;
  });
}

/**
 * Settles with `work`, unless the deadline passes or `signal` aborts first: then `stop` is called (to close the
 * connection or end the worker) and the promise rejects with a timeout or cancellation error.
 *
 * @remarks The databases enforce their own statement timeouts; this is the backstop for a server or network that
 * stops answering, so a request never hangs past its deadline.
 */
export function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  stop: () => void,
  signal?: AbortSignal,
  onTimeout: () => Error = () => queryTimedOut(ms),
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      fn();
    };
    const abort = () =>
      finish(() => {
        stop();
        reject(queryAborted());
      });
    const timer = setTimeout(
      () =>
        finish(() => {
          stop();
          reject(onTimeout());
        }),
      ms,
    );
    if (signal?.aborted) return abort();
    signal?.addEventListener("abort", abort, { once: true });
    work.then(
      (value) => finish(() => resolve(value)),
      (err: unknown) => finish(() => reject(err)),
    );
  });
}

/** The comment, or null when there is none or it is blank. */
export function cleanComment(comment: unknown): string | null {
  return typeof comment === "string" && comment.trim() !== "" ? comment : null;
}
