import { logChannel, type LogEntry, type PubSub } from "./port.js";

export interface FollowOptions {
  /** Resume after this sequence number (0 or undefined: from the start). */
  afterSeq?: number;
  /** True for the event that ends the stream; following stops after yielding it. */
  isTerminal: (event: unknown) => boolean;
  signal?: AbortSignal;
  /** How often to re-read the log when nothing arrives, in ms; covers a notification lost in transit. */
  pollMs?: number;
  /**
   * Called when a poll finds nothing new: the writer may have died, or its last append may have failed, so the
   * log will never end on its own. Return a terminal entry built from the stored record to end the stream with
   * it, or undefined to keep waiting.
   */
  onQuiet?: (lastSeq: number) => Promise<LogEntry | undefined>;
}

/**
 * Yields every entry of `stream` after `afterSeq` in order, first the retained past and then live appends,
 * with no gap and no repeat, until a terminal event or `signal` aborts.
 *
 * @remarks The subscription is opened before the log is read, so an append between the two is buffered rather
 * than missed. Entries are only ever yielded in strict `seq` order: anything at or below the last yielded `seq`
 * is a duplicate and dropped, and any jump (a notification lost in transit, e.g. while Redis reconnects) makes
 * the follower re-read the log itself from the last `seq` it yielded.
 */
export async function* followStream(pubsub: PubSub, stream: string, options: FollowOptions): AsyncGenerator<LogEntry> {
  let last = options.afterSeq ?? 0;
  const pending: LogEntry[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const unsubscribe = await pubsub.subscribe(logChannel(stream), (message) => {
    pending.push(message as LogEntry);
    notify();
  });
  const onAbort = () => notify();
  options.signal?.addEventListener("abort", onAbort);
  // One timer for the whole stream, pushed back after every batch (a new one per event cost as much as the event).
  let pollDue = false;
  const poll = setTimeout(() => {
    pollDue = true;
    notify();
  }, options.pollMs ?? 1_000);
  poll.unref();
  /** Yields the contiguous run of entries after `last`; `gap` is true when one was missing. */
  const drain = function* (entries: LogEntry[]): Generator<LogEntry, { done: boolean; gap: boolean }> {
    for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) {
      if (entry.seq <= last) continue;
      if (entry.seq !== last + 1) return { done: false, gap: true };
      last = entry.seq;
      yield entry;
      if (options.isTerminal(entry.event)) return { done: true, gap: false };
    }
    return { done: false, gap: false };
  };
  try {
    let result = yield* drain(await pubsub.readAfter(stream, last));
    if (result.done) return;
    while (!options.signal?.aborted) {
      if (pending.length === 0 && !pollDue) await new Promise<void>((resolve) => (wake = resolve));
      if (options.signal?.aborted) return;
      // Quiet: the poll came due with nothing new since the last batch.
      const quiet = pollDue && pending.length === 0;
      pollDue = false;
      poll.refresh();
      const batch = pending.splice(0);
      result = yield* drain(batch);
      if (result.done) return;
      if (result.gap || batch.length === 0) {
        // Something may have been missed, or nothing came: the log itself is the source of truth.
        const before = last;
        result = yield* drain(await pubsub.readAfter(stream, last));
        if (result.done) return;
        if (quiet && last === before && options.onQuiet) {
          const terminal = await options.onQuiet(last);
          if (terminal) {
            yield { ...terminal, seq: Math.max(terminal.seq, last + 1) };
            return;
          }
        }
      }
    }
  } finally {
    clearTimeout(poll);
    options.signal?.removeEventListener("abort", onAbort);
    await unsubscribe();
  }
}
