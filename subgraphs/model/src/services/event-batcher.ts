/** Where {@link EventBatcher} writes: a response, or anything with the same two methods. */
interface Sink {
  write(text: string): unknown;
  end(text: string): unknown;
}

/**
 * Writes a stream's server-sent events to the client, gathered into batches once the answer has begun: the
 * `stream_options.batch_ms` extension of `POST /v1/chat/completions`.
 *
 * @remarks Until `started()` says the answer's first text went out, every event is written at once, so batching
 * never delays the first token. After that, an event opens a batch that is written `batchMs` later with every
 * event that came meanwhile: one socket write (and one read for the client) per batch instead of per token,
 * which is what a streamed reply costs both ends per token. The order of events never changes; `end` writes
 * what is pending with the last text in one write. With `batchMs` 0 it writes every event as it comes.
 */
export class EventBatcher {
  private pending = "";
  private timer: NodeJS.Timeout | undefined;
  private batching = false;

  constructor(
    private readonly sink: Sink,
    private readonly batchMs: number,
    /** Whether the answer's first text has been handed to the batcher. */
    private readonly started: () => boolean,
  ) {}

  write(text: string): void {
    if (!this.batching) {
      this.sink.write(text);
      this.batching = this.batchMs > 0 && this.started();
      return;
    }
    this.pending += text;
    this.timer ??= setTimeout(this.flush, this.batchMs);
  }

  /** Writes what is pending now. */
  readonly flush = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    const text = this.pending;
    this.pending = "";
    this.sink.write(text);
  };

  /** Ends the response with what is pending and `last`, in one write. */
  end(last: string): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const text = this.pending + last;
    this.pending = "";
    this.sink.end(text);
  }

  /** Drops what is pending (the client went away). */
  discard(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = "";
  }
}
