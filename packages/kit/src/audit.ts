import { createHash } from "node:crypto";
import { z } from "zod";
import { INTERNAL_TOKEN_HEADER, REQUEST_ID_HEADER, serviceCaller, signInternalToken, type Caller } from "./auth.js";
import { AppError } from "./errors.js";
import type { Logger } from "./logger.js";
import { requestScope } from "./request-context.js";

/** The families of audited actions; retention is longer for `security` (sign-ins, users, roles, keys). */
export const AUDIT_CATEGORIES = ["security", "data", "model", "workflow"] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];
export const AUDIT_OUTCOMES = ["success", "failure"] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];
export const AUDIT_ACTOR_TYPES = ["user", "apikey", "service", "anonymous"] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

/**
 * One audited action, as stored by the identity subgraph: who (`actorId`, `actorType`), what (`action`, e.g.
 * `auth.login_failed`, `datasource.deleted`, `sql.run`), on which resource, when, from where (`ip`, `requestId`)
 * and the outcome. `details` is a small JSON object that never holds a secret.
 */
export interface AuditEvent {
  action: string;
  category: AuditCategory;
  outcome: AuditOutcome;
  actorType: AuditActorType;
  actorId?: string;
  resourceType?: string;
  resourceId?: string;
  ip?: string;
  requestId?: string;
  details?: Record<string, unknown>;
  at: Date;
}

/**
 * What a call site passes to {@link AuditSink.record}: the event, with the actor taken from `caller` when given,
 * `outcome` defaulting to success, `category` to the action's prefix, `at` to now and `requestId` to the current
 * request's.
 */
export type AuditInput = Omit<AuditEvent, "at" | "category" | "outcome" | "actorType"> &
  Partial<Pick<AuditEvent, "at" | "category" | "outcome" | "actorType">> & { caller?: Caller };

/** Where subgraphs send audit events: {@link AuditClient}, or {@link noAudit} where nothing is recorded. */
export interface AuditSink {
  /** Queues an event; never throws and never waits, so auditing cannot fail or slow the audited action. */
  record(input: AuditInput): void;
}

/** A sink that drops every event (unit tests of services that do not check auditing). */
export const noAudit: AuditSink = { record: () => undefined };

/** The wire shape of `POST /internal/audit` on the identity subgraph (dates as ISO strings). */
export const auditEventSchema = z.object({
  action: z
    .string()
    .min(3)
    .max(64)
    .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, "must look like `area.verb`, e.g. `datasource.deleted`"),
  category: z.enum(AUDIT_CATEGORIES),
  outcome: z.enum(AUDIT_OUTCOMES),
  actorType: z.enum(AUDIT_ACTOR_TYPES),
  actorId: z.string().min(1).max(64).optional(),
  resourceType: z.string().min(1).max(64).optional(),
  resourceId: z.string().min(1).max(200).optional(),
  ip: z.string().min(1).max(64).optional(),
  requestId: z.string().min(1).max(128).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
  at: z.coerce.date(),
});
export const auditBatchSchema = z.object({ events: z.array(auditEventSchema).min(1).max(500) });

/** Category of an action by its prefix (`auth.login` → security); call sites may override it. */
const CATEGORY_BY_PREFIX: Record<string, AuditCategory> = {
  auth: "security",
  user: "security",
  apikey: "security",
  session: "security",
  signingkey: "security",
  share: "security",
  datasource: "data",
  dataset: "data",
  sql: "data",
  ask: "data",
  model: "model",
  workflow: "workflow",
};

/** Keys whose values are dropped from `details` wherever they appear: a secret must never reach the log. */
const SECRET_KEY = /pass(word)?|secret|token|api_?key|^key$|credential|authorization|cookie|connection|private/i;
/** Largest `details` kept, as JSON; a bigger one is replaced by a note saying so. */
const MAX_DETAILS_CHARS = 4_000;

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 4) return "[deep]";
  if (typeof value === "string") return value.length > 1_000 ? `${value.slice(0, 1_000)}…` : value;
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrub(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? "[redacted]" : scrub(v, depth + 1);
    return out;
  }
  return value;
}

/**
 * The stored form of `details`: secret-looking keys redacted, long strings cut, and the whole kept small.
 *
 * @remarks Call sites already leave secrets out; this is the second line, so a careless `details: input` cannot
 * write a password or a connection URL into a table that admins export.
 */
export function sanitizeAuditDetails(
  details: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (!details) return undefined;
  const clean = scrub(details) as Record<string, unknown>;
  return JSON.stringify(clean).length > MAX_DETAILS_CHARS ? { truncated: true } : clean;
}

/** The complete event from a call site's input (see {@link AuditInput}). */
export function toAuditEvent(input: AuditInput): AuditEvent {
  const { caller, ...rest } = input;
  const actorType: AuditActorType =
    input.actorType ??
    (caller?.apiKeyId ? "apikey" : caller?.userId ? "user" : caller?.service ? "service" : "anonymous");
  return {
    ...rest,
    actorId: input.actorId ?? caller?.userId ?? caller?.service,
    actorType,
    category: input.category ?? CATEGORY_BY_PREFIX[input.action.split(".")[0]!] ?? "security",
    outcome: input.outcome ?? "success",
    requestId: input.requestId ?? requestScope.getStore()?.requestId,
    ip: input.ip ?? requestScope.getStore()?.client?.ip,
    details: sanitizeAuditDetails(input.details),
    at: input.at ?? new Date(),
  };
}

/**
 * Runs `work` and records its outcome: success, with what `more(result)` adds (a new resource's id, counts), or
 * failure with the error's code; the error is rethrown as it was.
 *
 * @example
 * return audited(audit, { action: "datasource.deleted", caller, resourceType: "DataSource", resourceId: id }, () =>
 *   services.dataSources.delete(em, caller, id));
 */
export async function audited<T>(
  sink: AuditSink,
  input: AuditInput,
  work: () => Promise<T>,
  more?: (result: T) => Partial<Pick<AuditInput, "resourceId" | "actorId" | "details">>,
): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (err) {
    const code = err instanceof AppError ? err.code : "INTERNAL_SERVER_ERROR";
    sink.record({ ...input, outcome: "failure", details: { ...input.details, error: code } });
    throw err;
  }
  try {
    const extra = more?.(result);
    sink.record({ ...input, ...extra, details: { ...input.details, ...extra?.details } });
  } catch {
    sink.record(input);
  }
  return result;
}

/**
 * How a SQL statement appears in an audit event: its SHA-256 (to find every run of one statement) and its first
 * 500 characters (to read it). Connection details never appear in a statement, so nothing secret is kept.
 */
export function auditSql(sql: string): { sqlSha256: string; sql: string } {
  return {
    sqlSha256: createHash("sha256").update(sql).digest("hex"),
    sql: sql.length > 500 ? `${sql.slice(0, 500)}…` : sql,
  };
}

export interface AuditClientOptions {
  /** Delivers one batch; rejects when it could not (the batch is then kept and retried). */
  send: (events: AuditEvent[]) => Promise<void>;
  logger?: Logger;
  /** Most events in one batch. @defaultValue `100` */
  batchSize?: number;
  /** How long an event waits for others to join its batch, in ms. @defaultValue `250` */
  flushIntervalMs?: number;
  /** Most events held while delivery fails; the oldest are dropped (and counted in a log line) beyond it. @defaultValue `10_000` */
  maxBuffer?: number;
  /** First wait after a failed delivery, in ms; it doubles up to `retryMaxMs`. @defaultValue `1_000` */
  retryBaseMs?: number;
  /** Longest wait between retries, in ms. @defaultValue `30_000` — 30 s */
  retryMaxMs?: number;
}

/**
 * Batches audit events and delivers them in the background, retrying with back-off while the receiver is down.
 *
 * @remarks `record` only pushes to an in-memory buffer, so an audited action never fails or waits because of the
 * audit log. The price is that events still buffered when a process dies are lost; the buffer is bounded so a
 * long outage of the identity subgraph costs memory up to `maxBuffer` events, then the oldest are dropped with a
 * warning. Timers are unref'd: a pending flush never keeps a process alive; `close()` delivers what it can.
 */
export class AuditClient implements AuditSink {
  private readonly buffer: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private failures = 0;
  private closed = false;
  private dropped = 0;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxBuffer: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly options: AuditClientOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.flushIntervalMs = options.flushIntervalMs ?? 250;
    this.maxBuffer = options.maxBuffer ?? 10_000;
    this.retryBaseMs = options.retryBaseMs ?? 1_000;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
  }

  /** Events waiting for delivery. */
  get pending(): number {
    return this.buffer.length;
  }

  record(input: AuditInput): void {
    try {
      this.buffer.push(toAuditEvent(input));
      if (this.buffer.length > this.maxBuffer) {
        const over = this.buffer.length - this.maxBuffer;
        this.buffer.splice(0, over);
        if (this.dropped === 0) this.options.logger?.warn({ maxBuffer: this.maxBuffer }, "audit buffer full");
        this.dropped += over;
      }
      this.schedule(this.failures ? this.backoff() : this.flushIntervalMs);
    } catch (err) {
      this.options.logger?.error({ err, action: input.action }, "could not queue an audit event");
    }
  }

  /** Delivers everything queued now; resolves (never rejects) once delivered or once a delivery failed. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // One delivery loop at a time, so a batch is never sent twice by overlapping flushes.
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined;
      if (this.buffer.length) this.schedule(this.failures ? this.backoff() : this.flushIntervalMs);
    });
    return this.sending;
  }

  private async drain(): Promise<void> {
    while (this.buffer.length) {
      const batch = this.buffer.slice(0, this.batchSize);
      try {
        await this.options.send(batch);
      } catch (err) {
        this.failures += 1;
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.options.logger?.warn(
            { err: (err as Error).message, pending: this.buffer.length, failures: this.failures },
            "could not deliver audit events; will retry",
          );
        }
        return;
      }
      // Drop what was sent; the buffer may have lost its oldest entries meanwhile, so find the batch again.
      const start = this.buffer.indexOf(batch[0]!);
      if (start >= 0) this.buffer.splice(start, batch.length);
      if (this.failures || this.dropped) {
        this.options.logger?.info({ dropped: this.dropped }, "audit log reachable again");
      }
      this.failures = 0;
      this.dropped = 0;
    }
  }

  /** Delivers what it can within `timeoutMs` and stops retrying (on shutdown). */
  async close(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length) this.options.logger?.warn({ lost: this.buffer.length }, "audit events not delivered");
  }

  private backoff(): number {
    return Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(this.failures - 1, 20));
  }

  private schedule(ms: number): void {
    if (this.timer || this.sending || this.closed) return;
    const delay = this.buffer.length >= this.batchSize && !this.failures ? 0 : ms;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
    this.timer.unref();
  }
}

/** Settings of a subgraph that sends audit events to the identity subgraph; spread into its config. */
export const auditEnv = {
  /** Base URL of the identity subgraph, which stores the audit log (`POST /internal/audit`). */
  ODS_IDENTITY_URL: z.url().default("http://127.0.0.1:4001"),
};

/**
 * The audit client of a subgraph other than identity: batches go to the identity subgraph's
 * `POST /internal/audit` with an internal token naming this service.
 *
 * @example
 * const audit = createAuditClient({ identityUrl: config.ODS_IDENTITY_URL, internalSecret, service: "dataset", logger });
 * audit.record({ action: "datasource.deleted", caller, resourceType: "DataSource", resourceId: id });
 */
export function createAuditClient(options: {
  identityUrl: string;
  internalSecret: string;
  service: string;
  logger?: Logger;
  /** Deadline of one delivery, in ms. @defaultValue `5_000` */
  timeoutMs?: number;
  client?: Omit<AuditClientOptions, "send" | "logger">;
}): AuditClient {
  const url = `${options.identityUrl.replace(/\/+$/, "")}/internal/audit`;
  const caller = serviceCaller(options.service);
  return new AuditClient({
    ...options.client,
    logger: options.logger,
    async send(events) {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [INTERNAL_TOKEN_HEADER]: await signInternalToken(options.internalSecret, caller),
          ...(events[0]?.requestId ? { [REQUEST_ID_HEADER]: events[0].requestId } : {}),
        },
        body: JSON.stringify({ events }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
      // A batch the receiver refuses as invalid would be refused forever: log it and let it go.
      if (res.status === 400) {
        options.logger?.error({ status: res.status, body: await res.text() }, "audit events refused as invalid");
        return;
      }
      if (!res.ok) throw new Error(`identity answered ${res.status} to ${url}`);
    },
  });
}
