import type { EntityManager, FilterQuery, MikroORM } from "@mikro-orm/core";
import {
  AuditClient,
  badInput,
  pageWindow,
  sanitizeAuditDetails,
  toPage,
  type AuditEvent as AuditEventData,
  type AuditInput,
  type AuditSink,
  type Logger,
  type Page,
} from "@ods/kit";
import { AuditActorType, AuditCategory, AuditEvent, AuditOutcome } from "../entities/index.js";

/** How long rows are kept, in days; security events (sign-ins, users, roles, keys) longer than the rest. */
export interface AuditRetention {
  days: number;
  securityDays: number;
  /** How often the retention job runs, in ms. @defaultValue `3_600_000` — 1 h */
  intervalMs?: number;
}

/** The filters of `auditEvents` and of the CSV export; every one is optional and they combine with AND. */
export interface AuditFilter {
  action?: string | null;
  category?: AuditCategory | null;
  outcome?: AuditOutcome | null;
  actorId?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  since?: Date | null;
  until?: Date | null;
}

const DAY_MS = 86_400_000;
const NEWEST_FIRST = { at: "desc", id: "desc" } as const;
/** Most rows one CSV export holds; narrow the filter for more. */
export const AUDIT_EXPORT_MAX_ROWS = 100_000;

/**
 * The audit log: appends events (from this subgraph directly and from the others over `POST /internal/audit`),
 * lists and exports them for admins, and enforces retention. There is no update and no delete by id.
 *
 * @remarks The identity subgraph's own events go through the same {@link AuditClient} as the other subgraphs'
 * (with a transport that writes to the database instead of HTTP), so recording is fire-and-forget here too: a
 * slow or failing audit insert never fails a sign-in.
 */
export class AuditService implements AuditSink {
  private orm: MikroORM | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly client: AuditClient;

  constructor(
    private readonly retention: AuditRetention,
    private readonly logger?: Logger,
  ) {
    this.client = new AuditClient({
      logger,
      send: async (events) => {
        if (!this.orm) throw new Error("the audit log is not started yet");
        await this.append(this.orm.em.fork(), events);
      },
    });
  }

  record(input: AuditInput): void {
    this.client.record(input);
  }

  /** Writes what is queued (tests, and before reading one's own events). */
  flush(): Promise<void> {
    return this.client.flush();
  }

  /** Starts writing queued events to `orm` and runs the retention job now and then every `intervalMs`. */
  start(orm: MikroORM): void {
    this.orm = orm;
    void this.client.flush();
    const run = () =>
      this.prune(orm.em.fork()).catch((err: unknown) => this.logger?.error({ err }, "audit retention failed"));
    void run();
    this.timer = setInterval(run, this.retention.intervalMs ?? 3_600_000);
    this.timer.unref();
  }

  /** Stops the retention job and writes what is still queued (on shutdown, before the database closes). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.client.close();
  }

  /** Appends events as they are (already validated and sanitized by the caller, or by {@link toAuditEvent}). */
  async append(em: EntityManager, events: AuditEventData[]): Promise<void> {
    for (const e of events) {
      em.persist(
        em.create(AuditEvent, {
          at: e.at,
          action: e.action,
          category: e.category as AuditCategory,
          outcome: e.outcome as AuditOutcome,
          actorType: e.actorType as AuditActorType,
          actorId: e.actorId ?? null,
          resourceType: e.resourceType ?? null,
          resourceId: e.resourceId ?? null,
          ip: e.ip ?? null,
          requestId: e.requestId ?? null,
          details: sanitizeAuditDetails(e.details) ?? null,
        }),
      );
    }
    await em.flush();
  }

  /** One page of events matching `filter`, newest first. */
  async list(
    em: EntityManager,
    filter: AuditFilter,
    args: { first?: number | null; after?: string | null },
  ): Promise<Page<AuditEvent>> {
    const { offset, limit } = pageWindow(args);
    const [rows, total] = await em.findAndCount(AuditEvent, where(filter), {
      orderBy: NEWEST_FIRST,
      offset,
      limit,
    });
    return toPage(rows, offset, total);
  }

  /** The events matching `filter`, newest first, in chunks (for the CSV export), at most {@link AUDIT_EXPORT_MAX_ROWS}. */
  async *export(em: EntityManager, filter: AuditFilter, chunk = 1_000): AsyncGenerator<AuditEvent[]> {
    const cond = where(filter);
    for (let offset = 0; offset < AUDIT_EXPORT_MAX_ROWS; offset += chunk) {
      const rows = await em.find(AuditEvent, cond, {
        orderBy: NEWEST_FIRST,
        offset,
        limit: Math.min(chunk, AUDIT_EXPORT_MAX_ROWS - offset),
      });
      if (rows.length) yield rows;
      em.clear();
      if (rows.length < chunk) return;
    }
  }

  /**
   * Deletes rows older than the retention: security events after `securityDays`, the rest after `days`.
   * @returns how many rows went.
   */
  async prune(em: EntityManager, now = new Date()): Promise<number> {
    const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const security = await em.nativeDelete(AuditEvent, {
      category: AuditCategory.SECURITY,
      at: { $lt: before(this.retention.securityDays) },
    });
    const other = await em.nativeDelete(AuditEvent, {
      category: { $ne: AuditCategory.SECURITY },
      at: { $lt: before(this.retention.days) },
    });
    if (security + other) this.logger?.info({ deleted: security + other }, "audit retention removed old events");
    return security + other;
  }
}

function where(filter: AuditFilter): FilterQuery<AuditEvent> {
  if (filter.since && filter.until && filter.since > filter.until) throw badInput("since must not be after until");
  const at: Record<string, Date> = {};
  if (filter.since) at.$gte = filter.since;
  if (filter.until) at.$lt = filter.until;
  return {
    ...(filter.action ? { action: filter.action } : {}),
    ...(filter.category ? { category: filter.category } : {}),
    ...(filter.outcome ? { outcome: filter.outcome } : {}),
    ...(filter.actorId ? { actorId: filter.actorId } : {}),
    ...(filter.resourceType ? { resourceType: filter.resourceType } : {}),
    ...(filter.resourceId ? { resourceId: filter.resourceId } : {}),
    ...(Object.keys(at).length ? { at } : {}),
  };
}
