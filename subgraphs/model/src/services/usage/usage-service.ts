import type { EntityManager, FilterQuery, MikroORM } from "@mikro-orm/core";
import type { Caller, Logger } from "@ods/kit";
import { randomUUID } from "node:crypto";
import { UsageRecord, type Model } from "../../entities/index.js";
import type { Reservation } from "../limits/index.js";
import { CallTracker, type UsageData } from "./call-tracker.js";
import {
  groupUsage,
  totals,
  type UsageDimension,
  type UsageFacts,
  type UsageGroup,
  type UsageTotals,
} from "./stats.js";

/** A full buffer is written at once instead of waiting for the timer. */
const BATCH_SIZE = 500;
/** While the database is away, at most this many records wait; older ones are dropped (and logged). */
const MAX_PENDING = 50_000;

const FACTS = [
  "userId",
  "apiKeyId",
  "modelId",
  "modelName",
  "promptTokens",
  "completionTokens",
  "ttftMs",
  "latencyMs",
  "status",
  "cost",
  "createdAt",
] as const;

/**
 * Usage accounting: a tracker per model call, records written in batches, and the aggregates read by
 * `Model.usage`, `usageReport` and `/v1/usage.csv`.
 *
 * @remarks Records are buffered and inserted together every `flushMs` (one INSERT per batch, not one per call or
 * per streamed chunk) and at shutdown ({@link close}); a failed insert keeps the batch for the next flush.
 */
export class UsageService {
  private pending: UsageData[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly orm: MikroORM,
    private readonly logger: Logger,
    options: {
      /** How often buffered records are written (ms). @defaultValue 1_000 */
      flushMs?: number;
    } = {},
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 1_000);
    this.timer.unref();
  }

  /** A tracker for one call; its `finish()` queues the record and settles `reservation`. */
  track(call: {
    caller: Caller;
    model: Model;
    operation: string;
    promptTokens: number;
    reservation: Reservation;
  }): CallTracker {
    return new CallTracker(call, (data) => this.queue(data));
  }

  /** Writes the buffered records now (also what the timer does). Concurrent calls run one after the other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBatch());
    return this.flushing;
  }

  /** Stops the timer and writes what is buffered; call before the database closes. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Totals of `modelId`'s calls since `since` (all time when null), of `userId` only when given. */
  async modelUsage(
    em: EntityManager,
    modelId: string,
    options: { since?: Date | null; userId?: string | null },
  ): Promise<UsageTotals> {
    const where: FilterQuery<UsageRecord> = { modelId };
    if (options.since) where.createdAt = { $gte: options.since };
    if (options.userId) where.userId = options.userId;
    return totals(await this.facts(em, where));
  }

  /**
   * Usage grouped by `groupBy` between `since` and `until` (either open when null), of `userId` only when given.
   */
  async report(
    em: EntityManager,
    options: { groupBy: UsageDimension[]; since?: Date | null; until?: Date | null; userId?: string | null },
  ): Promise<UsageGroup[]> {
    const where: FilterQuery<UsageRecord> = {};
    const createdAt: Record<string, Date> = {};
    if (options.since) createdAt.$gte = options.since;
    if (options.until) createdAt.$lt = options.until;
    if (Object.keys(createdAt).length > 0) where.createdAt = createdAt;
    if (options.userId) where.userId = options.userId;
    return groupUsage(await this.facts(em, where), options.groupBy);
  }

  private async facts(em: EntityManager, where: FilterQuery<UsageRecord>): Promise<UsageFacts[]> {
    // Records written but still buffered would be missing from a report read right after a call.
    await this.flush();
    return em.find(UsageRecord, where, {
      fields: [...FACTS],
      orderBy: { createdAt: "asc", id: "asc" },
      disableIdentityMap: true,
    });
  }

  private queue(data: UsageData): void {
    this.pending.push(data);
    if (this.pending.length >= BATCH_SIZE) void this.flush();
  }

  private async writeBatch(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.orm.em.fork().insertMany(
        UsageRecord,
        batch.map((data) => ({ id: randomUUID(), ...data })),
      );
    } catch (err) {
      this.pending = [...batch, ...this.pending];
      const dropped = this.pending.length - MAX_PENDING;
      if (dropped > 0) this.pending.splice(0, dropped);
      this.logger.error(
        { err, pending: this.pending.length, dropped: Math.max(0, dropped) },
        "could not write usage records; they are kept for the next flush",
      );
    }
  }
}
