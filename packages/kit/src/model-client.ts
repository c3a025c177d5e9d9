import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { signInternalToken, type Caller } from "./auth.js";
import { readChatStream } from "./openai-http/chat-stream.js";
import { UpstreamTarget } from "./openai-http/upstream.js";

export interface ModelApiOptions {
  /** The model subgraph's base URL (its `/v1` API is used). */
  modelUrl: string;
  internalSecret: string;
  /** @defaultValue `120_000` — 2 min */
  timeoutMs?: number;
}

/**
 * One value per caller, made with a fresh internal token and reused for a minute of the token's five: signing,
 * and the model subgraph verifying, a fresh token for every reply of a busy user is work on the hot path of every
 * chat. A token is used for at most its first minute, so a call never starts with an expired one (calls time out
 * after two minutes).
 */
function perCaller<T>(secret: string, make: (token: string) => T): (caller: Caller) => Promise<T> {
  const made = new Map<string, { value: Promise<T>; until: number }>();
  return (caller) => {
    const key = JSON.stringify([caller.userId, caller.roles, caller.apiKeyId, caller.service]);
    const hit = made.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    if (made.size > 1_000) made.clear();
    const value = signInternalToken(secret, caller, 300).then(make);
    made.set(key, { value, until: Date.now() + 60_000 });
    return value;
  };
}

/**
 * An `openai` SDK client for the model subgraph's OpenAI-compatible API, acting for `caller`.
 *
 * @remarks Every model call in the platform (chat generation, workflow LLM nodes, Text-to-SQL) goes through the
 * same `/v1` API that outside programs use, so usage accounting and limits apply to all of them alike.
 */
export function createModelClient(options: ModelApiOptions): (caller: Caller) => Promise<OpenAI> {
  return perCaller(
    options.internalSecret,
    (token) =>
      new OpenAI({
        baseURL: `${options.modelUrl.replace(/\/+$/, "")}/v1`,
        apiKey: token,
        timeout: options.timeoutMs ?? 120_000,
        maxRetries: 0,
      }),
  );
}

/**
 * Starts a streamed chat completion for `caller`; see {@link createChatStreamer}. Yields the chunks by the read
 * that brought them (see `readChatStream`).
 */
export type ChatStreamer = (
  caller: Caller,
  request: ChatCompletionCreateParamsStreaming,
  signal: AbortSignal,
  /** Called as the request is written to its connection: a continuation awaiting it runs after the write. */
  onSent?: () => void,
) => Promise<AsyncGenerator<ChatCompletionChunk[]>>;

/**
 * Streamed chat completions through the model subgraph's `/v1` API, like `client.chat.completions.create({
 * stream: true })` of {@link createModelClient} but over a pooled `node:http` connection, reading the events as
 * text: what a chat reply pays per token is the platform's overhead, and the SDK's fetch and web streams are most
 * of it. Errors are the SDK's classes (`APIError` by status, `APIConnectionError`, `APIUserAbortError`).
 *
 * @remarks Resolves once the response has started (2xx); aborting `signal` later ends the iteration with an
 * error. There is no timeout of its own: the caller's `signal` sets it.
 */
export function createChatStreamer(options: ModelApiOptions): ChatStreamer {
  const base = `${options.modelUrl.replace(/\/+$/, "")}/v1`;
  const target = perCaller(options.internalSecret, (token) => new UpstreamTarget(base, token));
  return async (caller, request, signal, onSent) => {
    const res = await (await target(caller)).post("/chat/completions", JSON.stringify(request), signal, onSent);
    return readChatStream(res);
  };
}
