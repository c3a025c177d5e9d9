import { logChannel, type LogEntry, type PubSub } from "./port.js";

export interface FollowOptions {
  /** Resume after this sequence number (0 or undefined: from the start). */
  afterSeq?: number;
  /** True for the event that ends the stream; following stops after yielding it. */
  isTerminal: (event: unknown) => boolean;
  signal?: AbortSignal;
  /** How often to re-read the log when nothing arrives, in ms; covers a notification lost in transit. */
  pollMs?: number;
}

/**
 * Yields every entry of `stream` after `afterSeq` in order, first the retained past and then live appends,
 * with no gap and no repeat, until a terminal event or `signal` aborts.
 *
 * @remarks The subscription is opened before the log is read, so an append between the two is buffered rather
 * than missed; anything at or below the last yielded `seq` is dropped as a duplicate, and a jump in `seq` is
 * filled from the log.
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
  try {
    const drain = function* (entries: LogEntry[]): Generator<LogEntry, boolean> {
      for (const entry of entries.sort((a, b) => a.seq - b.seq)) {
        if (entry.seq <= last) continue;
        last = entry.seq;
        yield entry;
        if (options.isTerminal(entry.event)) return true;
      }
      return false;
    };
    if (yield* drain(await pubsub.readAfter(stream, last))) return;
    while (!options.signal?.aborted) {
      if (pending.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, options.pollMs ?? 1_000).unref();
        });
      }
      if (options.signal?.aborted) return;
      const batch = pending.splice(0);
      const gapOrQuiet = batch.length === 0 || Math.min(...batch.map((e) => e.seq)) > last + 1;
      // A gap (or a quiet period) means something may have been missed: read the log itself.
      const entries = gapOrQuiet ? await pubsub.readAfter(stream, last) : batch;
      if (yield* drain(entries)) return;
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await unsubscribe();
  }
}
