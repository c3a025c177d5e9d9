import type { MikroORM } from "@mikro-orm/core";
import { AppError, ErrorCode, INTERNAL_TOKEN_HEADER, verifyInternalToken, type Caller, type Logger } from "@ods/kit";
import type { Express, Response } from "express";
import { once } from "node:events";
import type { DatasetServices } from "./services/index.js";

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.UPSTREAM_UNAVAILABLE]: 502,
};

function refuse(res: Response, code: ErrorCode, message: string): void {
  res.status(STATUS[code] ?? 500).json({ error: { code, message } });
}

/**
 * REST routes beside GraphQL, reached through the gateway's `/api/datasets` pass-through:
 * `GET /api/datasets/<id>/rows[?version=n]` streams every row as NDJSON (one JSON object per line) in a single pass
 * over the file, so reading a multi-GB dataset whole costs one scan and flat memory.
 *
 * @remarks A failure before the first row answers with a JSON error and its status; one after the first row ends
 * the response abruptly, so no client takes a cut-off stream for the whole dataset.
 */
export function mountRoutes(
  app: Express,
  deps: { orm: MikroORM; services: DatasetServices; internalSecret: string; logger: Logger },
): void {
  app.get("/api/datasets/:id/rows", async (req, res) => {
    let caller: Caller;
    try {
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.header("authorization") ?? "")?.[1];
      caller = await verifyInternalToken(deps.internalSecret, bearer ?? req.header(INTERNAL_TOKEN_HEADER));
      if (!caller.userId) throw new AppError(ErrorCode.UNAUTHENTICATED, "You must be signed in");
    } catch (err) {
      refuse(res, ErrorCode.UNAUTHENTICATED, (err as Error).message);
      return;
    }
    const version = req.query.version === undefined ? null : Number(req.query.version);
    if (version !== null && !Number.isInteger(version)) {
      refuse(res, ErrorCode.BAD_USER_INPUT, "version must be a whole number");
      return;
    }
    let closed = false;
    res.on("close", () => (closed = true));
    const em = deps.orm.em.fork();
    let started = false;
    try {
      const dataset = await deps.services.datasets.get(em, String(req.params.id));
      for await (const row of deps.services.datasets.streamRows(em, caller, dataset, version)) {
        if (closed) return;
        if (!started) {
          started = true;
          res.status(200).setHeader("content-type", "application/x-ndjson; charset=utf-8");
          res.setHeader("cache-control", "no-store");
        }
        if (!res.write(`${JSON.stringify(row)}\n`)) await once(res, "drain");
      }
      if (!started) res.status(200).setHeader("content-type", "application/x-ndjson; charset=utf-8");
      res.end();
    } catch (err) {
      if (started) {
        deps.logger.warn({ err, dataset: req.params.id }, "row stream failed part-way");
        res.destroy();
        return;
      }
      if (err instanceof AppError) {
        refuse(res, err.code, err.message);
        return;
      }
      deps.logger.error({ err }, "row stream failed");
      refuse(res, ErrorCode.INTERNAL_SERVER_ERROR, "Reading the dataset failed");
    }
  });
}
