import { OdsError } from "./errors.js";

/** An event of a replayable per-stream log: `seq` rises by one per event. */
export interface SequencedEvent {
  seq: number;
}

/** How {@link resumable} follows a stream. */
export interface ResumeOptions<E> {
  /** Start after this event; omit to start from the first one. */
  afterSeq?: number;
  /** Whether the event ends the stream (it is yielded, then the stream ends). */
  isTerminal(event: E): boolean;
  /** Whether a failed connection may be tried again (a dropped socket) or not (a GraphQL error, a refusal). */
  isRetryable(error: unknown): boolean;
  /**
   * Reconnects in a row, without any event between them, before giving up.
   * @defaultValue 8
   */
  maxAttempts?: number;
  /**
   * Milliseconds to wait before the n-th reconnect in a row (n from 1).
   * @defaultValue 250 ms doubling, at most 5 s
   */
  delay?(attempt: number): number;
  /** Waits; tests pass a clock of their own. */
  sleep?(ms: number): Promise<void>;
}

const defaultDelay = (attempt: number): number => Math.min(5_000, 250 * 2 ** (attempt - 1));
const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follows a replayable event stream across reconnects, yielding each event once and in order.
 *
 * @remarks
 * `subscribe(afterSeq)` opens the stream after the given sequence number. When it throws a retryable error, or
 * ends without a terminal event (the server went away), this subscribes again after the last event it yielded.
 * Events at or below that number are skipped, in case the server replays them.
 *
 * @throws the first error that is not retryable, or an {@link OdsError} `UPSTREAM_UNAVAILABLE` after
 * `maxAttempts` reconnects in a row that brought no event.
 */
export async function* resumable<E extends SequencedEvent>(
  subscribe: (afterSeq: number | undefined) => AsyncIterable<E>,
  options: ResumeOptions<E>,
): AsyncGenerator<E, void, undefined> {
  const { isTerminal, isRetryable, maxAttempts = 8, delay = defaultDelay, sleep = defaultSleep } = options;
  let lastSeq = options.afterSeq;
  let attempts = 0;
  for (;;) {
    let failure: unknown = new Error("the stream ended before its last event");
    try {
      for await (const event of subscribe(lastSeq)) {
        if (lastSeq !== undefined && event.seq <= lastSeq) continue;
        lastSeq = event.seq;
        attempts = 0;
        yield event;
        if (isTerminal(event)) return;
      }
    } catch (error) {
      if (!isRetryable(error)) throw error;
      failure = error;
    }
    attempts += 1;
    if (attempts > maxAttempts) {
      throw new OdsError("UPSTREAM_UNAVAILABLE", `The event stream could not be resumed after ${maxAttempts} tries.`, {
        cause: failure,
      });
    }
    await sleep(delay(attempts));
  }
}
