import { LocalObjectStore, verifyUploadToken, AppError, type Logger } from "@ods/kit";
import express, { type Router } from "express";

/**
 * `PUT /objects/upload/<token>`: the embedded profile's stand-in for an S3 presigned PUT. The token (from
 * `createUploadUrl`) names the key and size; the body streams to the object store without being held in memory.
 */
export function uploadRoutes(options: { objectRoot: string; internalSecret: string; logger: Logger }): Router {
  const store = new LocalObjectStore(options.objectRoot);
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
  return router;
}
