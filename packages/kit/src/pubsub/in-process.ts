import { EventEmitter } from "node:events";
import { logChannel, type LogEntry, type PubSub } from "./port.js";

interface StoredLog {
  entries: LogEntry[];
  timer?: NodeJS.Timeout;
}

/**
 * The embedded profile's pub/sub: an EventEmitter for channels and a capped array per stream for the logs.
 *
 * @param maxEntries - entries kept per stream; older ones fall off like `XADD … MAXLEN`. Default 10 000.
 */
export class InProcessPubSub implements PubSub {
  private readonly emitter = new EventEmitter();
  private readonly logs = new Map<string, StoredLog>();

  constructor(private readonly maxEntries = 10_000) {
    // Every open subscription adds a listener; thousands are normal, so lift Node's leak warning.
    this.emitter.setMaxListeners(0);
  }

  async publish(channel: string, message: unknown): Promise<void> {
    // Deliver asynchronously, like a network round trip would, so publishers never re-enter subscribers.
    const copy = structuredClone(message);
    queueMicrotask(() => this.emitter.emit(channel, copy));
  }

  async subscribe(channel: string, onMessage: (message: unknown) => void): Promise<() => Promise<void>> {
    this.emitter.on(channel, onMessage);
    return async () => {
      this.emitter.off(channel, onMessage);
    };
  }

  async append(stream: string, seq: number, event: unknown): Promise<void> {
    let log = this.logs.get(stream);
    if (!log) {
      log = { entries: [] };
      this.logs.set(stream, log);
    }
    const entry: LogEntry = { seq, event: structuredClone(event) };
    log.entries.push(entry);
    if (log.entries.length > this.maxEntries) log.entries.splice(0, log.entries.length - this.maxEntries);
    await this.publish(logChannel(stream), entry);
  }

  async readAfter(stream: string, afterSeq: number): Promise<LogEntry[]> {
    const entries = this.logs.get(stream)?.entries ?? [];
    return entries.filter((e) => e.seq > afterSeq).map((e) => structuredClone(e));
  }

  async expire(stream: string, seconds: number): Promise<void> {
    const log = this.logs.get(stream);
    if (!log) return;
    if (log.timer) clearTimeout(log.timer);
    log.timer = setTimeout(() => this.logs.delete(stream), seconds * 1000);
    log.timer.unref();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    for (const log of this.logs.values()) if (log.timer) clearTimeout(log.timer);
    this.logs.clear();
    this.emitter.removeAllListeners();
  }
}
