import type { Logger } from "@ods/kit";
import express, { type Router } from "express";
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { pipeline } from "node:stream/promises";
import type { Authenticator } from "../auth.js";
import type { InternalTokens } from "../internal-tokens.js";

const openAiError = (message: string, type: string, code: string) => ({ error: { message, type, param: null, code } });

/** Response headers of the model API that a client acts on. */
const PASSED_HEADERS = [
  "content-type",
  "content-disposition",
  "content-length",
  "cache-control",
  "x-accel-buffering",
  "retry-after",
  "retry-after-ms",
  "ratelimit",
  "ratelimit-policy",
];

/**
 * The OpenAI-compatible API at `/v1`, passed through to the model subgraph: the gateway authenticates the caller
 * (API key or access token as `Authorization: Bearer`) and forwards the request unchanged with an internal token,
 * streaming the answer back chunk by chunk. A client that goes away aborts the upstream request.
 *
 * @remarks The body is streamed, not parsed or buffered, and the model subgraph is reached over pooled keep-alive
 * connections with Node's own `http`, the cheapest path there is: with many concurrent token streams the gateway's
 * share of the time to first token is what this route costs.
 */
export function openAiRoutes(options: {
  modelUrl: string;
  tokens: InternalTokens;
  auth: Authenticator;
  logger: Logger;
}): Router {
  const target = new URL(options.modelUrl);
  const secure = target.protocol === "https:";
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: 512 })
    : new Agent({ keepAlive: true, maxSockets: 512 });
  const send = secure ? httpsRequest : httpRequest;
  const router = express.Router();
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
    const headers: Record<string, string> = {
      authorization: `Bearer ${await options.tokens.for(caller)}`,
      accept: req.header("accept") ?? "*/*",
    };
    for (const name of ["content-type", "content-length", "transfer-encoding"]) {
      const value = req.header(name);
      if (value) headers[name] = value;
    }
    const upstream = send({
      host: target.hostname,
      port: target.port || (secure ? 443 : 80),
      method: req.method,
      path: `${target.pathname.replace(/\/+$/, "")}${req.originalUrl}`,
      headers,
      agent,
    });
    // The client went away: stop the model's work (and its spend) too.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.on("response", (answer: IncomingMessage) => {
      res.status(answer.statusCode ?? 502);
      for (const name of PASSED_HEADERS) {
        const value = answer.headers[name];
        if (value !== undefined) res.setHeader(name, value);
      }
      res.flushHeaders();
      pipeline(answer, res).catch(() => res.destroy());
    });
    upstream.on("error", (err) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      options.logger.warn({ err }, "model API unreachable");
      res.status(502).json(openAiError("The model service did not answer", "api_error", "upstream_unavailable"));
    });
    req.pipe(upstream);
  });
  return router;
}
