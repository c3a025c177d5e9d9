import type { MikroORM } from "@mikro-orm/core";
import {
  INTERNAL_TOKEN_HEADER,
  requestScope,
  traceMark,
  verifyInternalToken,
  type Caller,
  type Logger,
} from "@ods/kit";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { ZodError } from "zod";
import { ModelKind, type Model } from "./entities/index.js";
import { ApiError, invalidRequest, unauthorized } from "./services/api-error.js";
import { EventBatcher } from "./services/event-batcher.js";
import { chatRequest, embeddingRequest, type ChatRequest } from "./services/inference-service.js";
import { rerankRequest } from "./services/rerank.js";
import type { ModelServices } from "./services/index.js";
import { usageCsv, type CallEndResult, type CallTracker } from "./services/usage/index.js";
import { chatPromptTokens, chatReserve, completionText, reportedUsage } from "./services/usage/estimate.js";
import { usageCsvQuery } from "./services/usage/query.js";
import { countTokens } from "./services/text.js";

/**
 * Why a request's work is aborted when its response closes (every response closes, finished or not): a constant,
 * because an abort without a reason builds a DOMException with a stack trace, which on the hot path of every
 * completion is measurable.
 */
const CLIENT_CLOSED = new Error("The response closed");

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
    traceMark("model.request");
    // The client going away aborts the lookup, the generation or the upstream request: listen before the first
    // await, or a client gone during the lookup would still start an upstream call nobody reads.
    const controller = new AbortController();
    res.on("close", () => controller.abort(CLIENT_CLOSED));
    const body = await withPromptTemplate(deps, parseBody(chatRequest, req.body));
    const model = await inference.resolve(deps.orm.em.fork(), body.model, ModelKind.CHAT);
    if (controller.signal.aborted) return;
    const promptTokens = chatPromptTokens(body);
    const tracker = await admit(deps, res, model, "chat", promptTokens, chatReserve(body, model, promptTokens));

    if (!body.stream) {
      await metered(tracker, controller.signal, async () => {
        const completion = await inference.chat(model, body, controller.signal, tracker);
        tracker.route.firstToken();
        tracker.route.text(completionText(completion));
        tracker.route.end({ status: "ok", usage: reportedUsage(completion.usage) });
        if (!res.writableEnded && !controller.signal.aborted) res.json(completion);
      });
      return;
    }

    // The service reports what it streams to the tracker (first token, usage or the text to count); the route
    // only tells how the stream ended.
    const events = inference.chatStream(model, body, controller.signal, tracker);
    // The first event decides the status: a failure before it is still a plain JSON error.
    let first: IteratorResult<string>;
    try {
      first = await events.next();
    } catch (err) {
      tracker.route.end(failure(err, controller.signal));
      await tracker.finish();
      throw err;
    }
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    const out = new EventBatcher(res, body.stream_options?.batch_ms ?? 0, () => tracker.answering);
    try {
      traceMark("model.first-event");
      if (!first.done) out.write(first.value);
      for await (const event of events) {
        if (controller.signal.aborted) break;
        out.write(event);
      }
      // [DONE] and the end of the body in one write: the client's stream ends as soon as the last event is in.
      if (!controller.signal.aborted) out.end("data: [DONE]\n\n");
      tracker.route.end(controller.signal.aborted ? { status: "cancelled" } : { status: "ok" });
    } catch (err) {
      tracker.route.end(failure(err, controller.signal));
      // The stream has started, so the status is sent: report the failure as an event and end, never hang.
      const apiError = toApiError(err, deps.logger);
      if (!controller.signal.aborted) out.end(`data: ${JSON.stringify(apiError.body())}\n\n`);
    } finally {
      out.discard();
      res.end();
      await tracker.finish();
    }
  });

  router.post("/embeddings", async (req, res) => {
    const controller = new AbortController();
    res.on("close", () => controller.abort(CLIENT_CLOSED));
    const body = parseBody(embeddingRequest, req.body);
    const model = await inference.resolve(deps.orm.em.fork(), body.model, ModelKind.EMBEDDING);
    if (controller.signal.aborted) return;
    const inputs = typeof body.input === "string" ? [body.input] : body.input;
    const promptTokens = inputs.reduce((sum, text) => sum + countTokens(text), 0);
    const tracker = await admit(deps, res, model, "embeddings", promptTokens, promptTokens);
    await metered(tracker, controller.signal, async () => {
      const result = await inference.embed(model, body, controller.signal, tracker);
      tracker.route.firstToken();
      tracker.route.end({ status: "ok", usage: reportedUsage(result.usage) ?? { promptTokens, completionTokens: 0 } });
      if (!res.writableEnded && !controller.signal.aborted) res.json(result);
    });
  });

  router.post("/rerank", async (req, res) => {
    const controller = new AbortController();
    res.on("close", () => controller.abort(CLIENT_CLOSED));
    const body = parseBody(rerankRequest, req.body);
    const model = await inference.resolve(deps.orm.em.fork(), body.model, ModelKind.RERANK);
    if (controller.signal.aborted) return;
    const texts = body.documents.map((d) => (typeof d === "string" ? d : d.text));
    const promptTokens = texts.reduce((sum, text) => sum + countTokens(text) + countTokens(body.query), 0);
    const tracker = await admit(deps, res, model, "rerank", promptTokens, promptTokens);
    await metered(tracker, controller.signal, async () => {
      const result = await inference.rerank(model, body, controller.signal, tracker);
      tracker.route.firstToken();
      tracker.route.end({ status: "ok", usage: reportedUsage(result.usage) ?? { promptTokens, completionTokens: 0 } });
      if (!res.writableEnded && !controller.signal.aborted) res.json(result);
    });
  });

  router.get("/usage.csv", async (req, res) => {
    const caller = res.locals.caller as Caller;
    const query = parseBody(usageCsvQuery, req.query);
    const admin = caller.roles.includes("admin");
    if (!admin && !caller.userId) {
      throw new ApiError(403, "Only users and admins can export usage", "invalid_request_error", "permission_denied");
    }
    const groups = await deps.services.usage.report(deps.orm.em.fork(), {
      ...query,
      // Admins export everyone's usage; everybody else only their own.
      userId: admin ? null : caller.userId,
    });
    res
      .status(200)
      .set("Content-Type", "text/csv; charset=utf-8")
      .set("Content-Disposition", 'attachment; filename="usage.csv"')
      .send(usageCsv(groups, query.groupBy));
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

/**
 * Applies the `prompt_template` extension: the rendered template becomes the first message (role `system`), and
 * the extension itself is dropped so that nothing upstream ever sees it.
 */
async function withPromptTemplate(
  deps: { orm: MikroORM; services: ModelServices },
  body: ChatRequest,
): Promise<ChatRequest> {
  const { prompt_template: ref, ...rest } = body;
  if (!ref) return rest;
  const system = await deps.services.templates.renderForChat(deps.orm.em.fork(), ref);
  return { ...rest, messages: [{ role: "system", content: system }, ...rest.messages] };
}

/**
 * The request entry of a model call: the caller's and the model's limits (a 429 before anything is dispatched
 * or charged), then the tracker that the inference service and the route report the call to.
 */
async function admit(
  deps: { services: ModelServices },
  res: Response,
  model: Model,
  operation: string,
  promptTokens: number,
  reserveTokens: number,
): Promise<CallTracker> {
  const caller = res.locals.caller as Caller;
  const reservation = await deps.services.limits.reserve(caller, model, reserveTokens);
  return deps.services.usage.track({ caller, model, operation, promptTokens, reservation });
}

/** Runs a non-streamed call, telling `tracker` how it failed if it did, and finishing it either way. */
async function metered(tracker: CallTracker, signal: AbortSignal, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    tracker.route.end(failure(err, signal));
    throw err;
  } finally {
    await tracker.finish();
  }
}

/** How a failed call ended, for usage: "cancelled" when the client went away, else the error's OpenAI code. */
function failure(err: unknown, signal: AbortSignal): CallEndResult {
  if (signal.aborted) return { status: "cancelled" };
  return { status: "error", errorCode: err instanceof ApiError ? (err.code ?? err.type) : "internal_error" };
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
