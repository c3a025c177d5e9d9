import type { MikroORM } from "@mikro-orm/core";
import { INTERNAL_TOKEN_HEADER, requestScope, verifyInternalToken, type Caller, type Logger } from "@ods/kit";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { ZodError } from "zod";
import { ModelKind } from "./entities/index.js";
import { ApiError, invalidRequest, unauthorized } from "./services/api-error.js";
import { chatRequest, embeddingRequest } from "./services/inference-service.js";
import type { ModelServices } from "./services/index.js";

/**
 * Mounts the OpenAI-compatible API at `/v1`: `GET /v1/models`, `POST /v1/chat/completions` (with `stream: true`
 * as server-sent events) and `POST /v1/embeddings`.
 *
 * @remarks Callers authenticate with `Authorization: Bearer <internal token>`: the gateway (after checking the
 * user's API key or session) and the other subgraphs (`createModelClient`) sign one, so the official `openai`
 * SDK works unchanged with the token as its `apiKey`. Every error is answered in OpenAI's error shape.
 */
export function mountOpenAIRoutes(
  app: Express,
  deps: { orm: MikroORM; services: ModelServices; internalSecret: string; logger: Logger },
): void {
  const router = express.Router();
  const { inference } = deps.services;

  router.use(async (req, res, next) => {
    try {
      res.locals.caller = await authenticate(req, deps.internalSecret);
      next();
    } catch (err) {
      next(err);
    }
  });
  router.use(express.json({ limit: "8mb" }));

  router.get("/models", async (_req, res) => {
    res.json(await inference.list(deps.orm.em.fork()));
  });

  router.post("/chat/completions", async (req, res) => {
    // The client going away aborts the lookup, the generation or the upstream request: listen before the first
    // await, or a client gone during the lookup would still start an upstream call nobody reads.
    const controller = new AbortController();
    res.on("close", () => controller.abort());
    const body = parseBody(chatRequest, req.body);
    const model = await inference.resolve(deps.orm.em.fork(), body.model, ModelKind.CHAT);
    if (controller.signal.aborted) return;

    if (!body.stream) {
      const completion = await inference.chat(model, body, controller.signal);
      if (!res.writableEnded && !controller.signal.aborted) res.json(completion);
      return;
    }

    const chunks = inference.chatStream(model, body, controller.signal);
    // The first chunk decides the status: a failure before it is still a plain JSON error.
    const first = await chunks.next();
    res.status(200);
    res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
    res.setHeader("Cache-Control", "no-cache");
    res.setHeader("Connection", "keep-alive");
    res.setHeader("X-Accel-Buffering", "no");
    res.flushHeaders();
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    try {
      if (!first.done) send(first.value);
      for await (const chunk of chunks) {
        if (controller.signal.aborted) break;
        send(chunk);
      }
      if (!controller.signal.aborted) res.write("data: [DONE]\n\n");
    } catch (err) {
      // The stream has started, so the status is sent: report the failure as an event and end, never hang.
      const apiError = toApiError(err, deps.logger);
      if (!controller.signal.aborted) send(apiError.body());
    } finally {
      res.end();
    }
  });

  router.post("/embeddings", async (req, res) => {
    const controller = new AbortController();
    res.on("close", () => controller.abort());
    const body = parseBody(embeddingRequest, req.body);
    const model = await inference.resolve(deps.orm.em.fork(), body.model, ModelKind.EMBEDDING);
    if (controller.signal.aborted) return;
    const result = await inference.embed(model, body, controller.signal);
    if (!res.writableEnded && !controller.signal.aborted) res.json(result);
  });

  router.use((req, _res, next) => {
    next(new ApiError(404, `Unknown endpoint: ${req.method} /v1${req.path}`, "invalid_request_error", "unknown_url"));
  });

  // Express 5 passes rejected promises of async handlers here, as well as body-parser's failures.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const apiError = toApiError(err, deps.logger);
    res.status(apiError.status).set(apiError.headers).json(apiError.body());
  });

  app.use("/v1", router);
}

async function authenticate(req: Request, secret: string): Promise<Caller> {
  const header = req.header("authorization");
  const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  const token = bearer ?? req.header(INTERNAL_TOKEN_HEADER);
  if (!token) throw unauthorized("Missing credentials: send Authorization: Bearer <token>");
  let caller: Caller;
  try {
    caller = await verifyInternalToken(secret, token);
  } catch {
    throw unauthorized("Invalid or expired token");
  }
  if (!caller.userId && !caller.service) throw unauthorized("You must be signed in to call models");
  return caller;
}

function parseBody<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } },
  body: unknown,
): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.join(".") || null;
  const detail = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
    .join("; ");
  throw invalidRequest(`Invalid request: ${detail}`, param);
}

function toApiError(err: unknown, logger: Logger): ApiError {
  if (err instanceof ApiError) return err;
  const status = (err as { status?: number; type?: string } | undefined)?.status;
  // body-parser: malformed JSON, a body over the limit, a wrong content type.
  if (typeof status === "number" && status >= 400 && status < 500) {
    return invalidRequest(`Invalid request body: ${(err as Error).message}`);
  }
  (requestScope.getStore()?.logger ?? logger).error({ err }, "unexpected error in the OpenAI-compatible API");
  const requestId = requestScope.getStore()?.requestId ?? "unknown";
  return new ApiError(500, `Internal server error (request ${requestId})`, "server_error");
}
