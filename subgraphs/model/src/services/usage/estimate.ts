import type { ChatCompletion } from "openai/resources/index.js";
import type { Model } from "../../entities/index.js";
import { countTokens } from "../text.js";
import type { CallEndResult } from "./observer.js";

/** Completion tokens reserved against a quota when the request sets no max_tokens and the model no default. */
export const DEFAULT_COMPLETION_RESERVE = 512;

type ChatLike = {
  messages: { content?: unknown }[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  n?: number | null;
};

/** The text of a message's content: a string, or the `text` of its parts. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part?.text === "string" ? (part.text as string) : "")).join(" ");
  }
  return "";
}

/** The prompt's tokens by the built-in tokenizer. */
export function chatPromptTokens(request: ChatLike): number {
  return request.messages.reduce((sum, m) => sum + countTokens(contentText(m.content)), 0);
}

/** Tokens to hold against a quota before a chat call: the prompt plus the most the answer(s) may take. */
export function chatReserve(request: ChatLike, model: Model, promptTokens: number): number {
  const fallback = model.defaultParams?.max_tokens;
  const completion =
    request.max_completion_tokens ??
    request.max_tokens ??
    (typeof fallback === "number" && fallback > 0 ? fallback : DEFAULT_COMPLETION_RESERVE);
  return promptTokens + completion * (request.n ?? 1);
}

/** The usage an OpenAI-shaped answer reports, in the observer's shape. */
export function reportedUsage(
  usage: { prompt_tokens?: number; completion_tokens?: number } | null | undefined,
): CallEndResult["usage"] {
  if (!usage || typeof usage.prompt_tokens !== "number") return undefined;
  return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens ?? 0 };
}

/** The text a whole completion carries (answers and tool-call arguments), for counting. */
export function completionText(completion: ChatCompletion): string {
  return completion.choices
    .map((c) => (c.message.content ?? "") + (c.message.tool_calls ?? []).map(toolArguments).join(""))
    .join("");
}

function toolArguments(call: { type: string; function?: { arguments?: string } }): string {
  return call.type === "function" ? (call.function?.arguments ?? "") : "";
}
