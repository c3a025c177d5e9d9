import type { Caller, Logger } from "@ods/kit";
import express, { type Response, type Router } from "express";
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { pipeline } from "node:stream/promises";
import type { Authenticator } from "../auth.js";
import type { InternalTokens } from "../internal-tokens.js";

/** Response headers of a subgraph's REST answer that a client acts on. */
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

export interface PassThroughOptions {
  /** The subgraph's base URL; the request's path is appended as it came (e.g. `/v1/models`). */
  target: string;
  tokens: InternalTokens;
  auth: Authenticator;
  logger: Logger;
  /** Answers a request the gateway refuses itself (no or bad credentials, target unreachable), in the API's own shape. */
  refuse(res: Response, status: number, message: string): void;
}

/**
 * A REST route of a subgraph, passed through: the gateway authenticates the caller (a session cookie, or an API key
 * or access token as `Authorization: Bearer`) and forwards the request unchanged with an internal token, streaming
 * the answer back as it comes. A client that goes away aborts the subgraph's work.
 *
 * @remarks The body is streamed, not parsed or buffered, and the subgraph is reached over pooled keep-alive
 * connections with Node's own `http`, the cheapest path there is: with many concurrent streams (chat tokens, rows)
 * the gateway's share of the time is what this costs.
 */
export function passThrough(options: PassThroughOptions): Router {
  const target = new URL(options.target);
  const secure = target.protocol === "https:";
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: 512 })
    : new Agent({ keepAlive: true, maxSockets: 512 });
  const send = secure ? httpsRequest : httpRequest;
  const router = express.Router();
  router.all("/{*path}", async (req, res) => {
    let caller: Caller;
    try {
      caller = await options.auth.authenticate(options.auth.credential(req.headers));
    } catch (err) {
      options.refuse(res, 401, (err as Error).message);
      return;
    }
    if (!caller.userId) {
      options.refuse(res, 401, "Sign in, or send an API key as `Authorization: Bearer <key>`");
      return;
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${await options.tokens.for(caller)}`,
      accept: req.header("accept") ?? "*/*",
    };
    for (const name of ["content-type", "content-length", "transfer-encoding", "x-request-id"]) {
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
    // The client went away: stop the subgraph's work (a model's spend, a scan of a large file) too.
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
      // A subgraph that fails mid-answer ends the client's response abruptly too, so it is never taken as complete.
      pipeline(answer, res).catch(() => res.destroy());
    });
    upstream.on("error", (err) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      options.logger.warn({ err, target: options.target }, "subgraph REST route unreachable");
      options.refuse(res, 502, "The service behind this route did not answer");
    });
    req.pipe(upstream);
  });
  return router;
}
