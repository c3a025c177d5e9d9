/** One entry of a replayable event log: `seq` starts at 1 and rises by one per event of that log. */
export interface LogEntry<T = unknown> {
  seq: number;
  event: T;
}

/**
 * The pub/sub port: fire-and-forget channels, plus replayable per-stream event logs (token streams, workflow
 * events) that a client who reconnects can read from any sequence number.
 *
 * @remarks Two implementations pass one contract suite: {@link InProcessPubSub} (embedded profile) and
 * `RedisPubSub` (Redis streams and channels, so that several replicas behave as one).
 */
export interface PubSub {
  publish(channel: string, message: unknown): Promise<void>;
  /** Calls `onMessage` for each message on `channel` until the returned function is called. */
  subscribe(channel: string, onMessage: (message: unknown) => void): Promise<() => Promise<void>>;
  /**
   * Appends an event with the given `seq` to `stream` and notifies followers. The caller owns the numbering:
   * one writer per stream (the process that runs the generation or workflow).
   */
  append(stream: string, seq: number, event: unknown): Promise<void>;
  /** Entries of `stream` with `seq > afterSeq`, oldest first (only those still retained). */
  readAfter(stream: string, afterSeq: number): Promise<LogEntry[]>;
  /** Drops `stream` after `seconds` (the log outlives the generation by a few minutes, then goes). */
  expire(stream: string, seconds: number): Promise<void>;
  /** Resolves when the backing service answers; rejects with a reason when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The channel on which appends to `stream` are announced. */
export const logChannel = (stream: string) => `log:${stream}`;
