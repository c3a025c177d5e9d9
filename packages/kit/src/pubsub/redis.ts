import { Redis } from "ioredis";
import { logChannel, type LogEntry, type PubSub } from "./port.js";

/**
 * Pub/sub on Redis: `PUBLISH`/`SUBSCRIBE` for channels, a Redis stream per event log (`XADD` with the caller's
 * sequence number as the entry id, capped with `MAXLEN ~`), so any replica can replay any log.
 *
 * @remarks One connection publishes and reads; a second one is in subscriber mode (Redis requires that), shared by
 * every subscription of this process and fanned out locally. Every command has a deadline: a Redis that does
 * not answer fails the call instead of hanging it.
 */
export class RedisPubSub implements PubSub {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<(message: unknown) => void>>();
  /** One SUBSCRIBE in flight per channel, so concurrent subscribers wait for the same acknowledgement. */
  private readonly subscribing = new Map<string, Promise<unknown>>();

  constructor(
    url: string,
    private readonly options: { prefix?: string; maxEntries?: number; commandTimeoutMs?: number } = {},
  ) {
    const common = {
      commandTimeout: options.commandTimeoutMs ?? 5_000,
      maxRetriesPerRequest: 2,
      lazyConnect: false,
      // Reconnect forever with back-off: the process stays up while Redis is away and resumes when it returns.
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 5_000),
    };
    this.client = new Redis(url, common);
    this.subscriber = new Redis(url, { ...common, commandTimeout: undefined });
    // Errors surface on the calls that fail; without a listener ioredis would print each reconnect attempt.
    this.client.on("error", () => {});
    this.subscriber.on("error", () => {});
    this.subscriber.on("messageBuffer", (channelBuf: Buffer, data: Buffer) => {
      const channel = channelBuf.toString().slice(this.prefix.length);
      const set = this.handlers.get(channel);
      if (!set) return;
      const message = JSON.parse(data.toString()) as unknown;
      for (const handler of set) handler(message);
    });
  }

  private get prefix(): string {
    return this.options.prefix ?? "ods:";
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.client.publish(this.prefix + channel, JSON.stringify(message));
  }

  async subscribe(channel: string, onMessage: (message: unknown) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      const pending = this.subscriber.subscribe(this.prefix + channel);
      this.subscribing.set(channel, pending);
      try {
        await pending;
      } catch (err) {
        // Leave nothing behind: the next subscriber must try SUBSCRIBE again rather than trust a dead channel.
        if (this.handlers.get(channel) === set && set.size === 0) this.handlers.delete(channel);
        throw err;
      } finally {
        this.subscribing.delete(channel);
      }
    } else {
      await this.subscribing.get(channel);
    }
    set.add(onMessage);
    return async () => {
      const current = this.handlers.get(channel);
      if (!current) return;
      current.delete(onMessage);
      if (current.size === 0) {
        this.handlers.delete(channel);
        await this.subscriber.unsubscribe(this.prefix + channel).catch(() => {});
      }
    };
  }

  async append(stream: string, seq: number, event: unknown): Promise<void> {
    const data = JSON.stringify(event);
    const entry: LogEntry = { seq, event };
    // XADD first and on its own: a rejected id (a second writer, a reused seq) must fail the call, and live
    // followers must never be told of an entry that a reconnecting client would not find in the log.
    await this.client.xadd(
      this.prefix + stream,
      "MAXLEN",
      "~",
      String(this.options.maxEntries ?? 10_000),
      `${seq}-1`,
      "e",
      data,
    );
    await this.client.publish(this.prefix + logChannel(stream), JSON.stringify(entry));
  }

  async readAfter(stream: string, afterSeq: number): Promise<LogEntry[]> {
    const rows = await this.client.xrange(this.prefix + stream, `${afterSeq + 1}-0`, "+");
    return rows.map(([id, fields]) => ({
      seq: Number(id.split("-")[0]),
      event: JSON.parse(fields[fields.indexOf("e") + 1] ?? "null") as unknown,
    }));
  }

  async expire(stream: string, seconds: number): Promise<void> {
    await this.client.expire(this.prefix + stream, seconds);
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.subscriber.disconnect();
    this.client.disconnect();
  }
}
