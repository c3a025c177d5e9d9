import type { MikroORM } from "@mikro-orm/core";
import {
  AppError,
  auditBatchSchema,
  ErrorCode,
  INTERNAL_TOKEN_HEADER,
  verifyInternalToken,
  type Caller,
  type Logger,
} from "@ods/kit";
import express, { type Express, type Request } from "express";
import { z } from "zod";
import { AuditCategory, AuditOutcome, type AuditEvent } from "./entities/index.js";
import type { AuditFilter } from "./services/audit-service.js";
import type { IdentityServices } from "./services/index.js";

/** The columns of the CSV export, in order. */
const CSV_COLUMNS = [
  "at",
  "action",
  "category",
  "outcome",
  "actorType",
  "actorId",
  "resourceType",
  "resourceId",
  "ip",
  "requestId",
  "details",
] as const;

/** The export's query string: the filters of `auditEvents`, with lower-case enum values as stored or upper-case as in GraphQL. */
const exportQuery = z.object({
  action: z.string().max(64).optional(),
  category: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(AuditCategory))
    .optional(),
  outcome: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(AuditOutcome))
    .optional(),
  actorId: z.string().max(64).optional(),
  resourceType: z.string().max(64).optional(),
  resourceId: z.string().max(200).optional(),
  since: z.coerce.date().optional(),
  until: z.coerce.date().optional(),
});

/** One CSV field (RFC 4180), with cells that a spreadsheet would run as a formula prefixed by a quote. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text =
    value instanceof Date ? value.toISOString() : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const csvRow = (event: AuditEvent) => `${CSV_COLUMNS.map((c) => csvField(event[c])).join(",")}\r\n`;

function bearer(req: Request): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.header("authorization") ?? "")?.[1] ?? req.header(INTERNAL_TOKEN_HEADER);
}

/**
 * The audit log's HTTP routes:
 * - `POST /internal/audit` — the other subgraphs' {@link AuditClient}s deliver batches here. Only a service's
 *   internal token is accepted (one naming a service, not a user), so a user's forwarded token cannot write the log.
 * - `GET /api/audit/events.csv` — the admin export, reached through the gateway's pass-through of `/api/audit`
 *   (the filters of `auditEvents` as query parameters, newest first, at most 100 000 rows).
 */
export function mountAuditRoutes(
  app: Express,
  deps: { orm: MikroORM; services: IdentityServices; internalSecret: string; logger?: Logger },
): void {
  const { audit } = deps.services;

  app.post("/internal/audit", express.json({ limit: "1mb" }), async (req, res) => {
    let caller: Caller;
    try {
      caller = await verifyInternalToken(deps.internalSecret, req.header(INTERNAL_TOKEN_HEADER));
    } catch {
      res.status(401).json({ error: { code: ErrorCode.UNAUTHENTICATED, message: "internal token required" } });
      return;
    }
    if (!caller.service) {
      res.status(403).json({ error: { code: ErrorCode.FORBIDDEN, message: "only services may write the audit log" } });
      return;
    }
    const parsed = auditBatchSchema.safeParse(req.body);
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      res.status(400).json({ error: { code: ErrorCode.BAD_USER_INPUT, message } });
      return;
    }
    try {
      await audit.append(deps.orm.em.fork(), parsed.data.events);
      res.status(202).json({ accepted: parsed.data.events.length });
    } catch (err) {
      deps.logger?.error({ err }, "could not store audit events");
      res.status(500).json({ error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: "Internal server error" } });
    }
  });

  app.get("/api/audit/events.csv", async (req, res) => {
    let caller: Caller;
    try {
      caller = await verifyInternalToken(deps.internalSecret, bearer(req));
    } catch {
      res.status(401).json({ error: { code: ErrorCode.UNAUTHENTICATED, message: "Sign in first" } });
      return;
    }
    if (!caller.roles.includes("admin")) {
      res.status(403).json({ error: { code: ErrorCode.FORBIDDEN, message: "Only admins may export the audit log" } });
      return;
    }
    const parsed = exportQuery.safeParse(req.query);
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      res.status(400).json({ error: { code: ErrorCode.BAD_USER_INPUT, message } });
      return;
    }
    const filter: AuditFilter = parsed.data;
    const em = deps.orm.em.fork();
    try {
      const rows = audit.export(em, filter);
      const first = await rows.next();
      res.setHeader("content-type", "text/csv; charset=utf-8");
      res.setHeader("content-disposition", 'attachment; filename="audit-events.csv"');
      res.setHeader("cache-control", "no-store");
      res.write(`${CSV_COLUMNS.join(",")}\r\n`);
      if (!first.done) {
        res.write(first.value.map(csvRow).join(""));
        for await (const chunk of rows) {
          if (res.destroyed) return;
          res.write(chunk.map(csvRow).join(""));
        }
      }
      res.end();
      audit.record({ action: "audit.exported", caller, category: "security", details: { ...req.query } });
    } catch (err) {
      if (err instanceof AppError) {
        res.status(400).json({ error: { code: err.code, message: err.message } });
        return;
      }
      deps.logger?.error({ err }, "audit export failed");
      if (res.headersSent) res.destroy();
      else res.status(500).json({ error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: "Internal server error" } });
    }
  });
}
