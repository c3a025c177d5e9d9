import { AppError, ErrorCode, verifyDownloadToken, verifyUploadToken, type Logger, type ObjectStore } from "@ods/kit";
import express, { type Response, type Router } from "express";
import { basename } from "node:path";
import { pipeline } from "node:stream/promises";

/**
 * `PUT /objects/upload/<token>`: the embedded profile's stand-in for an S3 presigned PUT. The token (from
 * `createUploadUrl`) names the key and size; the body streams to the object store without being held in memory.
 */
export function uploadRoutes(options: {
  /** The platform's object store (kit `createObjectStore(config)`): uploads go in, downloads come out. */
  store: ObjectStore;
  internalSecret: string;
  logger: Logger;
}): Router {
  const store = options.store;
  const router = express.Router();
  router.put("/upload/:token", async (req, res) => {
    try {
      const grant = await verifyUploadToken(options.internalSecret, req.params.token);
      const declared = Number(req.header("content-length") ?? Number.NaN);
      if (Number.isFinite(declared) && declared > grant.size) {
        res
          .status(413)
          .json({ error: { code: "BAD_USER_INPUT", message: `The upload may be at most ${grant.size} bytes` } });
        return;
      }
      const info = await store.put(grant.key, req, { maxBytes: grant.size });
      res.status(201).json({ key: info.key, size: info.size });
    } catch (err) {
      if (err instanceof AppError) {
        res.status(400).json({ error: { code: err.code, message: err.message } });
        return;
      }
      options.logger.error({ err }, "upload failed");
      res.status(500).json({ error: { code: "INTERNAL_SERVER_ERROR", message: "The upload failed" } });
    }
  });

  /**
   * `GET /objects/download/<token>`: the embedded profile's stand-in for an S3 presigned GET. The token (kit
   * `signDownloadToken`) names one key; the object streams back with its length, and a single `Range` is honoured
   * so downloads can resume and readers can fetch slices.
   */
  router.get("/download/:token", async (req, res) => {
    try {
      const grant = await verifyDownloadToken(options.internalSecret, req.params.token);
      const info = await store.stat(grant.key);
      if (!info) {
        fail(res, 404, ErrorCode.NOT_FOUND, "The file behind this download URL no longer exists");
        return;
      }
      const range = parseRange(req.header("range"), info.size);
      if (range === "unsatisfiable") {
        res.set("Content-Range", `bytes */${info.size}`);
        fail(res, 416, ErrorCode.BAD_USER_INPUT, `The requested range is outside the file's ${info.size} bytes`);
        return;
      }
      res.set({
        "Content-Type": "application/octet-stream",
        "Content-Disposition": contentDisposition(grant.fileName ?? basename(grant.key)),
        "Accept-Ranges": "bytes",
        "Last-Modified": info.modifiedAt.toUTCString(),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
      });
      if (range) {
        res.status(206);
        res.set("Content-Range", `bytes ${range.start}-${range.end}/${info.size}`);
        res.set("Content-Length", String(range.end - range.start + 1));
      } else {
        res.status(200);
        res.set("Content-Length", String(info.size));
      }
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      const body = await store.get(grant.key, range ?? undefined);
      await pipeline(body, res).catch((err: NodeJS.ErrnoException) => {
        // A client that stops reading (closed tab, resumed later with a Range) is not a server error.
        if (err.code !== "ERR_STREAM_PREMATURE_CLOSE") throw err;
      });
    } catch (err) {
      if (res.headersSent) {
        options.logger.error({ err }, "download failed midway");
        res.destroy();
        return;
      }
      if (err instanceof AppError) {
        const code = err.extensions.code as string;
        const status = code === ErrorCode.NOT_FOUND ? 404 : code === ErrorCode.UPSTREAM_UNAVAILABLE ? 503 : 400;
        fail(res, status, code, err.message);
        return;
      }
      options.logger.error({ err }, "download failed");
      fail(res, 500, "INTERNAL_SERVER_ERROR", "The download failed");
    }
  });
  return router;
}

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/**
 * One `bytes=` range against an object of `size` bytes, with `end` inclusive and clamped to the last byte.
 * Undefined means "send everything" (no header, a malformed one, several ranges, or an empty object), which RFC 9110
 * allows a server to do; "unsatisfiable" means the range starts past the end (416).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header || size === 0) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] === "") {
    // A suffix range: the last N bytes.
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? Number.POSITIVE_INFINITY : Number(match[2]);
  if (end < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 8187), safe from header injection. */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, "_") || "download";
  const exact = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
