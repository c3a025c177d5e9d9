import type { EntityManager } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import type OpenAI from "openai";
import type { ChatCompletion, ChatCompletionChunk, CreateEmbeddingResponse } from "openai/resources/index.js";
import { z } from "zod";
import { BUILTIN_CHAT_ID, BUILTIN_EMBEDDER_ID, Model, ModelKind, ModelProvider } from "../entities/index.js";
import { ApiError, fromUpstream, invalidRequest, modelNotFound, upstreamFailed } from "./api-error.js";
import { builtinReply, streamPieces, type BuiltinMessage } from "./builtin-chat.js";
import { BUILTIN_EMBEDDING_DIMENSIONS, embedText } from "./builtin-embedder.js";
import { describeUpstreamError, type ModelService } from "./model-service.js";
import { promptTemplateRef } from "./templates/template-service.js";
import { rerank, type RerankRequest, type RerankResponse, type UpstreamRerank } from "./rerank.js";
import type { EndpointRouter, Routed } from "./routing/router.js";
import { BodyReader, readText, traceMark } from "@ods/kit";
import { ChatRelay } from "./chat-relay.js";
import { countTokens } from "./text.js";
import type { CallObserver } from "./usage/observer.js";

const message = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
    content: z
      .union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).loose()), z.null()])
      .optional(),
  })
  .loose();

/** The body of `POST /v1/chat/completions` that this API understands (other fields are ignored). */
export const chatRequest = z.object({
  model: z.string().min(1, "is required"),
  messages: z.array(message).min(1, "must hold at least one message"),
  stream: z.boolean().nullish(),
  stream_options: z
    .object({
      include_usage: z.boolean().optional(),
      /** Extension: events after the first answer text are written in batches, at most this long apart (ms). */
      batch_ms: z.number().int().min(0).max(5_000).optional(),
    })
    .loose()
    .nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  tools: z.array(z.object({ type: z.string() }).loose()).nullish(),
  tool_choice: z.union([z.string(), z.object({ type: z.string() }).loose()]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: z
    .object({ type: z.enum(["text", "json_object", "json_schema"]) })
    .loose()
    .nullish(),
  n: z.number().int().min(1).max(8).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  user: z.string().nullish(),
  /** Extension: a prompt template rendered as the first system message (never sent upstream). */
  prompt_template: promptTemplateRef.nullish(),
});
export type ChatRequest = z.infer<typeof chatRequest>;

/** The body of `POST /v1/embeddings`. */
export const embeddingRequest = z.object({
  model: z.string().min(1, "is required"),
  input: z.union([
    z.string().min(1, "must not be empty"),
    z.array(z.string().min(1, "must not be empty")).min(1, "must hold at least one text").max(2048),
  ]),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().int().min(1).nullish(),
  user: z.string().nullish(),
});
export type EmbeddingRequest = z.infer<typeof embeddingRequest>;

/** Parameters copied to an upstream request when the call or the model's defaults set them. */
const PASS_THROUGH = [
  "temperature",
  "top_p",
  "max_tokens",
  "max_completion_tokens",
  "stop",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "n",
  "seed",
  "presence_penalty",
  "frequency_penalty",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "user",
] as const;

/** How an error names a model's kind, and the route that serves it. */
const KIND_USE: Record<ModelKind, string> = {
  [ModelKind.CHAT]: "a chat model",
  [ModelKind.EMBEDDING]: "an embedding model",
  [ModelKind.RERANK]: "a rerank model",
};
const KIND_ROUTE: Record<ModelKind, string> = {
  [ModelKind.CHAT]: "/v1/chat/completions",
  [ModelKind.EMBEDDING]: "/v1/embeddings",
  [ModelKind.RERANK]: "/v1/rerank",
};

export interface OpenAIModelList {
  object: "list";
  data: { id: string; object: "model"; created: number; owned_by: string }[];
}

/**
 * The logic behind the OpenAI-compatible API: resolves `model`, answers with the built-in models or proxies to
 * an OpenAI-compatible upstream through the `openai` SDK. Failures are {@link ApiError}s in OpenAI's shape.
 */
export class InferenceService {
  constructor(
    private readonly models: ModelService,
    private readonly options: {
      /** Pause between the built-in model's streamed words (ms). */
      tokenDelayMs: number;
      /** Longest silence allowed from an upstream stream, and the deadline of a non-streamed call (ms). */
      upstreamTimeoutMs: number;
      /** Deadline of one attempt at a stream: connecting and its first chunk (ms); then the next endpoint. */
      firstTokenTimeoutMs: number;
      /** Chooses the endpoint of each call, fails over and keeps the circuit breakers. */
      router: EndpointRouter;
    },
  ) {}

  /** Every model, in OpenAI's list shape (`id` is the name clients pass as `model`). */
  async list(em: EntityManager): Promise<OpenAIModelList> {
    const rows = await em.find(Model, {}, { orderBy: { createdAt: "asc", id: "asc" } });
    return {
      object: "list",
      data: rows.map((m) => ({
        id: m.name,
        object: "model" as const,
        created: Math.floor(m.createdAt.getTime() / 1000),
        owned_by: m.ownerId ?? "one-data-studio",
      })),
    };
  }

  /** The model a request names (by name or id) that can serve `kind`; 404 `model_not_found` or 400 otherwise. */
  async resolve(em: EntityManager, ref: string, kind: ModelKind): Promise<Model> {
    const model = await this.models.findByNameOrId(em, ref);
    if (!model) throw modelNotFound(ref);
    if (model.kind !== kind) {
      throw invalidRequest(
        `The model '${model.name}' is ${KIND_USE[model.kind]}; call ${KIND_ROUTE[model.kind]} with it`,
        "model",
      );
    }
    return model;
  }

  /** A whole chat completion (non-streaming); `observer` sees the call (see {@link CallObserver}). */
  async chat(
    model: Model,
    request: ChatRequest,
    signal?: AbortSignal,
    observer?: CallObserver,
  ): Promise<ChatCompletion> {
    return observed(observer, signal, async () => {
      if (model.provider === ModelProvider.BUILTIN) {
        const reply = this.builtin(model, request);
        observer?.onStart({ modelId: model.id, endpoint: "builtin" });
        observer?.onFirstToken();
        const completion: ChatCompletion = {
          id: `chatcmpl-${randomUUID()}`,
          object: "chat.completion",
          created: nowSeconds(),
          model: model.name,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: reply.text, refusal: null },
              finish_reason: reply.finishReason,
              logprobs: null,
            },
          ],
          usage: usage(reply.promptTokens, reply.completionTokens),
        };
        return { value: completion, usage: fromOpenAIUsage(completion.usage) };
      }
      const body = JSON.stringify({ ...this.upstreamBody(model, request), stream: false });
      // The whole answer is the first token of a non-streamed call, so its deadline is the long one.
      const routed = await this.options.router.call(
        model,
        async ({ upstream, signal: attempt }) => {
          const text = await readText(await upstream.post("/chat/completions", body, attempt));
          try {
            return JSON.parse(text) as ChatCompletion;
          } catch {
            throw new Error(`the upstream answered with malformed JSON: ${text.slice(0, 200)}`);
          }
        },
        { timeoutMs: this.options.upstreamTimeoutMs, signal, observer },
      );
      routed.abort();
      observer?.onFirstToken();
      return { value: { ...routed.value, model: model.name }, usage: fromOpenAIUsage(routed.value.usage) };
    });
  }

  /**
   * A streamed chat completion as server-sent events, ready to write to the client (`data: …` events; the caller
   * adds the final `data: [DONE]`). Nothing is sent upstream until the first `next()`, and a failure before the
   * first event throws from that call, so the caller can still answer with a plain error status. Ends quietly
   * when `signal` aborts (the client went away). Until the first event, a failing or silent endpoint is replaced
   * by the next one; after it, a failure ends the stream with an error. `observer` sees the call, including the
   * answer's text for counting when the upstream reports no usage.
   */
  async *chatStream(
    model: Model,
    request: ChatRequest,
    signal: AbortSignal,
    observer?: CallObserver,
  ): AsyncGenerator<string> {
    let ended = false;
    const seen: StreamUsage = {};
    const end = (result: Parameters<CallObserver["onEnd"]>[0]) => {
      if (ended) return;
      ended = true;
      observer?.onEnd(result);
    };
    try {
      yield* model.provider === ModelProvider.BUILTIN
        ? this.builtinStream(model, request, signal, observer, seen)
        : this.upstreamStream(model, request, signal, observer, seen);
      end(signal.aborted ? { status: "cancelled", usage: seen.usage } : { status: "ok", usage: seen.usage });
    } catch (err) {
      end(
        signal.aborted ? { status: "cancelled", usage: seen.usage } : { status: "error", errorCode: errorCodeOf(err) },
      );
      throw err;
    } finally {
      // The consumer stopped reading before the end.
      end({ status: "cancelled", usage: seen.usage });
    }
  }

  /** Embeddings of one text or a batch, as floats or base64 (little-endian float32, as OpenAI sends them). */
  async embed(
    model: Model,
    request: EmbeddingRequest,
    signal?: AbortSignal,
    observer?: CallObserver,
  ): Promise<CreateEmbeddingResponse> {
    const inputs = typeof request.input === "string" ? [request.input] : request.input;
    const format = request.encoding_format ?? "float";
    return observed(observer, signal, async () => {
      if (model.provider === ModelProvider.BUILTIN) {
        if (request.dimensions != null && request.dimensions !== BUILTIN_EMBEDDING_DIMENSIONS) {
          throw invalidRequest(
            `${BUILTIN_EMBEDDER_ID} has ${BUILTIN_EMBEDDING_DIMENSIONS} dimensions only`,
            "dimensions",
          );
        }
        observer?.onStart({ modelId: model.id, endpoint: "builtin" });
        const tokens = inputs.reduce((sum, text) => sum + countTokens(text), 0);
        const data = inputs.map((text, index) => ({
          object: "embedding" as const,
          index,
          embedding: encode(embedText(text), format),
        }));
        observer?.onFirstToken();
        return {
          value: { object: "list", model: model.name, data, usage: { prompt_tokens: tokens, total_tokens: tokens } },
          usage: { promptTokens: tokens, completionTokens: 0 },
        };
      }
      // Floats from the upstream whatever the client asked for: not every OpenAI-compatible server speaks base64.
      const body = {
        model: model.upstreamModel ?? model.name,
        input: request.input,
        encoding_format: "float" as const,
        ...(request.dimensions != null ? { dimensions: request.dimensions } : {}),
        ...(request.user != null ? { user: request.user } : {}),
      };
      const routed = await this.options.router.call(
        model,
        ({ client, signal: attempt }) => client.embeddings.create(body, { signal: attempt }),
        { timeoutMs: this.options.upstreamTimeoutMs, signal, observer },
      );
      routed.abort();
      observer?.onFirstToken();
      const response = routed.value;
      return {
        value: {
          ...response,
          model: model.name,
          data: response.data.map((d) => ({ ...d, embedding: encode(toFloats(d.embedding), format) })),
        },
        usage: response.usage ? { promptTokens: response.usage.prompt_tokens, completionTokens: 0 } : undefined,
      };
    });
  }

  /** Documents ranked by relevance to a query (`POST /v1/rerank`); see {@link rerank}. */
  async rerank(
    model: Model,
    request: RerankRequest,
    signal?: AbortSignal,
    observer?: CallObserver,
  ): Promise<RerankResponse> {
    return rerank(
      async (target, body, callSignal, callObserver) => {
        const routed = await this.options.router.call(
          target,
          ({ client, signal: attempt }) => client.post<UpstreamRerank>("/rerank", { body, signal: attempt }),
          { timeoutMs: this.options.upstreamTimeoutMs, signal: callSignal, observer: callObserver },
        );
        routed.abort();
        return routed.value;
      },
      model,
      request,
      signal,
      observer,
    );
  }

  private builtin(model: Model, request: ChatRequest) {
    if (model.id !== BUILTIN_CHAT_ID) throw invalidRequest(`The model '${model.name}' cannot chat`, "model");
    const defaults = model.defaultParams ?? {};
    const maxTokens =
      request.max_completion_tokens ?? request.max_tokens ?? (defaults.max_tokens as number | undefined) ?? null;
    return builtinReply(request.messages as BuiltinMessage[], { maxTokens, stop: request.stop });
  }

  private async *builtinStream(
    model: Model,
    request: ChatRequest,
    signal: AbortSignal,
    observer: CallObserver | undefined,
    seen: StreamUsage,
  ): AsyncGenerator<string> {
    const reply = this.builtin(model, request);
    observer?.onStart({ modelId: model.id, endpoint: "builtin" });
    seen.usage = { promptTokens: reply.promptTokens, completionTokens: reply.completionTokens };
    const id = `chatcmpl-${randomUUID()}`;
    const created = nowSeconds();
    const withUsage = request.stream_options?.include_usage === true;
    const event = (chunk: ChatCompletionChunk) => `data: ${JSON.stringify(chunk)}\n\n`;
    const chunk = (
      delta: ChatCompletionChunk.Choice.Delta,
      finish: ChatCompletionChunk.Choice["finish_reason"] = null,
    ): string =>
      event({
        id,
        object: "chat.completion.chunk",
        created,
        model: model.name,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
        ...(withUsage ? { usage: null } : {}),
      });

    yield chunk({ role: "assistant", content: "" });
    let first = true;
    for await (const piece of streamPieces(reply.pieces, this.options.tokenDelayMs, signal)) {
      if (first && piece) {
        first = false;
        observer?.onFirstToken();
      }
      yield chunk({ content: piece });
    }
    if (signal.aborted) return;
    yield chunk({}, reply.finishReason);
    if (withUsage) {
      yield event({
        id,
        object: "chat.completion.chunk",
        created,
        model: model.name,
        choices: [],
        usage: usage(reply.promptTokens, reply.completionTokens),
      });
    }
  }

  private async *upstreamStream(
    model: Model,
    request: ChatRequest,
    signal: AbortSignal,
    observer: CallObserver | undefined,
    seen: StreamUsage,
  ): AsyncGenerator<string> {
    // Built once: a failover sends the same bytes to the next endpoint.
    // `batch_ms` is this API's own: the route applies it, the upstream never sees it.
    const { batch_ms: _batchMs, ...streamOptions } = request.stream_options ?? {};
    const body = JSON.stringify({
      ...this.upstreamBody(model, request),
      stream: true,
      ...(request.stream_options ? { stream_options: streamOptions } : {}),
    });
    const firstToken = () => observer?.onFirstToken();
    let routed: Routed<{ reader: BodyReader; relay: ChatRelay; first: string }>;
    try {
      // An attempt succeeds with its first event: until then nothing reached the client and another endpoint
      // may take over; the attempt deadline covers connecting and that first event.
      routed = await this.options.router.call(
        model,
        async ({ upstream, signal: attempt }) => {
          traceMark("model.upstream");
          const reader = new BodyReader(await upstream.post("/chat/completions", body, attempt));
          const relay = new ChatRelay(model.name, firstToken);
          let first = "";
          while (!relay.started) {
            const text = await reader.next();
            if (text === null) break;
            first += relay.push(text);
          }
          if (relay.error && !first) throw relay.error;
          return { reader, relay, first };
        },
        { timeoutMs: this.options.firstTokenTimeoutMs, signal, observer },
      );
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const { reader, relay, first } = routed.value;
    const idleMs = this.options.upstreamTimeoutMs;
    let idle = false;
    // One timer for the whole stream, pushed back on every read (refresh() re-arms it without a new timer).
    const timer = setTimeout(() => {
      idle = true;
      routed.abort();
    }, idleMs);
    try {
      if (first) yield first;
      while (!relay.done) {
        if (relay.error) throw relay.error;
        timer.refresh();
        let text: string | null;
        try {
          text = await reader.next();
        } catch (err) {
          if (signal.aborted) return;
          throw err;
        }
        if (text === null) break;
        const out = relay.push(text);
        if (out) yield out;
      }
    } catch (err) {
      // Past the first event nothing is retried: the client already has part of an answer.
      routed.failed();
      throw idle
        ? upstreamFailed(`The upstream of model '${model.name}' failed: no data for ${idleMs} ms`)
        : fromUpstream(model.name, err, describeUpstreamError);
    } finally {
      clearTimeout(timer);
      // A stream read to its end keeps its socket for the next call; anything else closes the connection.
      routed.abort();
      seen.usage = relay.usage;
      if (!relay.usage && relay.text) observer?.onText?.(relay.text);
    }
  }

  /** The upstream request: the model's default parameters, overridden by what the call sets. */
  private upstreamBody(model: Model, request: ChatRequest): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
    const body: Record<string, unknown> = { ...(model.defaultParams ?? {}) };
    for (const key of PASS_THROUGH) {
      const value = request[key];
      if (value !== undefined && value !== null) body[key] = value;
    }
    body.messages = request.messages;
    body.model = model.upstreamModel ?? model.name;
    return body as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
  }
}

function usage(prompt: number, completion: number) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function encode(vector: number[], format: "float" | "base64"): number[] {
  if (format === "float") return vector;
  // The SDK's type says number[], but with encoding_format "base64" OpenAI sends a base64 string in its place.
  return Buffer.from(new Float32Array(vector).buffer).toString("base64") as unknown as number[];
}

function toFloats(embedding: number[] | string): number[] {
  if (typeof embedding !== "string") return embedding;
  // Copied into a fresh buffer: a Float32Array view needs 4-byte alignment, which Buffer's pool does not promise.
  const bytes = Uint8Array.from(Buffer.from(embedding, "base64"));
  return Array.from(new Float32Array(bytes.buffer));
}

/**
 * Runs a non-streamed call and tells `observer` how it ended, exactly once: "cancelled" when the client went
 * away, "error" with the OpenAI error code otherwise.
 */
async function observed<T>(
  observer: CallObserver | undefined,
  signal: AbortSignal | undefined,
  run: () => Promise<{ value: T; usage?: { promptTokens: number; completionTokens: number } }>,
): Promise<T> {
  let result: { value: T; usage?: { promptTokens: number; completionTokens: number } };
  try {
    result = await run();
  } catch (err) {
    observer?.onEnd(signal?.aborted ? { status: "cancelled" } : { status: "error", errorCode: errorCodeOf(err) });
    throw err;
  }
  observer?.onEnd({ status: "ok", usage: result.usage });
  return result.value;
}

function errorCodeOf(err: unknown): string {
  if (err instanceof ApiError) return err.code ?? err.type;
  return "internal_error";
}

/** The usage of a stream as the upstream (or the built-in model) reported it, filled in while it streams. */
interface StreamUsage {
  usage?: { promptTokens: number; completionTokens: number };
}

function fromOpenAIUsage(
  u: { prompt_tokens: number; completion_tokens: number } | null | undefined,
): { promptTokens: number; completionTokens: number } | undefined {
  return u ? { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens } : undefined;
}
