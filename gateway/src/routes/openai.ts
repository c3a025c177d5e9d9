import { signInternalToken, type Logger } from "@ods/kit";
import express, { type Router } from "express";
import { Readable } from "node:stream";
import type { Authenticator } from "../auth.js";

const openAiError = (message: string, type: string, code: string) => ({ error: { message, type, param: null, code } });

/**
 * The OpenAI-compatible API at `/v1`, passed through to the model subgraph: the gateway authenticates the caller
 * (API key or access token as `Authorization: Bearer`) and forwards the body unchanged with an internal token,
 * streaming the answer back chunk by chunk. A client that goes away aborts the upstream request.
 */
export function openAiRoutes(options: {
  modelUrl: string;
  internalSecret: string;
  auth: Authenticator;
  logger: Logger;
}): Router {
  const router = express.Router();
  router.use(express.raw({ type: () => true, limit: "20mb" }));
  router.all("/{*path}", async (req, res) => {
    let caller;
    try {
      caller = await options.auth.authenticate(options.auth.credential(req.headers));
    } catch (err) {
      res.status(401).json(openAiError((err as Error).message, "invalid_request_error", "invalid_api_key"));
      return;
    }
    if (!caller.userId) {
      res
        .status(401)
        .json(
          openAiError("Send an API key as `Authorization: Bearer <key>`", "invalid_request_error", "invalid_api_key"),
        );
      return;
    }
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    let upstream: Response;
    try {
      upstream = await fetch(`${options.modelUrl}${req.originalUrl}`, {
        method: req.method,
        headers: {
          "content-type": req.header("content-type") ?? "application/json",
          authorization: `Bearer ${await signInternalToken(options.internalSecret, caller, 300)}`,
          accept: req.header("accept") ?? "*/*",
        },
        body: ["GET", "HEAD"].includes(req.method) ? undefined : (req.body as Buffer),
        signal: abort.signal,
      });
    } catch (err) {
      if (abort.signal.aborted) return;
      options.logger.warn({ err }, "model API unreachable");
      res.status(502).json(openAiError("The model service did not answer", "api_error", "upstream_unavailable"));
      return;
    }
    res.status(upstream.status);
    for (const header of [
      "content-type",
      "content-disposition",
      "cache-control",
      "x-accel-buffering",
      "retry-after",
      "retry-after-ms",
      "ratelimit",
      "ratelimit-policy",
    ]) {
      const value = upstream.headers.get(header);
      if (value) res.setHeader(header, value);
    }
    if (!upstream.body) {
      res.end();
      return;
    }
    res.flushHeaders();
    Readable.fromWeb(upstream.body as import("node:stream/web").ReadableStream)
      .on("error", () => res.destroy())
      .pipe(res);
  });
  return router;
}
