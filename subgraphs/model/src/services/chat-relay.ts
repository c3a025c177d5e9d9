import { SseDecoder } from "@ods/kit";
import OpenAI from "openai";

// The first `"model": "…"` of a chunk: the upstream's model name, replaced by the one the client called.
const MODEL_FIELD = /"model"\s*:\s*"(?:[^"\\]|\\.)*"/;
// Answer text and tool-call arguments, counted when the upstream reports no usage. JSON escapes every quote
// inside a string, so these keys only match as keys.
const TEXT_FIELDS = /"(?:content|arguments)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;

/**
 * Relays an upstream's chat completion stream (server-sent events) to the client as text, without parsing
 * every chunk into objects and serialising them again.
 *
 * @remarks Each event is looked at only as much as accounting needs: until the first one carrying content it is
 * parsed (to tell when the first token came), a chunk that carries a `usage` object is parsed for it, answer
 * text is picked out with a regular expression until a usage is seen, and the upstream's model name is replaced
 * by the client-visible one. `[DONE]` ends the relay (the proxy sends its own); an event holding an `error`
 * ends it with that error, as the `openai` SDK would throw it.
 */
export class ChatRelay {
  /** Whether the upstream sent `[DONE]`. */
  done = false;
  /** Whether at least one event came. */
  started = false;
  /** An `error` event of the upstream, thrown by the reader after the text before it is sent. */
  error: Error | undefined;
  /** The usage the upstream reported, if it did. */
  usage: { promptTokens: number; completionTokens: number } | undefined;
  /** The answer's text so far, while no usage was reported. */
  text = "";
  private firstContent = false;
  private readonly decoder = new SseDecoder();
  private readonly modelField: string;

  constructor(
    modelName: string,
    private readonly onFirstContent: () => void,
  ) {
    this.modelField = `"model":${JSON.stringify(modelName)}`;
  }

  /** Takes the next text of the upstream's body and returns what to send on to the client ("" when nothing). */
  push(input: string): string {
    let out = "";
    for (const data of this.decoder.push(input)) {
      if (this.done || this.error) break;
      out += this.event(data);
    }
    return out;
  }

  private event(data: string): string {
    this.started = true;
    if (data === "[DONE]") {
      this.done = true;
      return "";
    }
    let parsed: Record<string, unknown> | undefined;
    const parse = () => (parsed ??= safeParse(data));
    if (data.includes('"error"')) {
      const error = parse()?.error;
      if (error) {
        this.error = new OpenAI.APIError(undefined, error as object, undefined, undefined);
        return "";
      }
    }
    if (!this.firstContent && hasContent(parse())) {
      this.firstContent = true;
      this.onFirstContent();
    }
    if (!this.usage) {
      if (data.includes('"usage"') && !/"usage"\s*:\s*null/.test(data)) {
        const usage = parse()?.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined;
        if (usage && typeof usage.prompt_tokens === "number") {
          const completionTokens = typeof usage.completion_tokens === "number" ? usage.completion_tokens : 0;
          this.usage = { promptTokens: usage.prompt_tokens, completionTokens };
          this.text = "";
        }
      }
      if (!this.usage) this.text += textOf(data);
    }
    return `data: ${data.replace(MODEL_FIELD, () => this.modelField)}\n\n`;
  }
}

function safeParse(data: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a chunk carries something of the answer (text, a refusal or a tool call), not just the role. */
function hasContent(chunk: Record<string, unknown> | undefined): boolean {
  const choices = chunk?.choices;
  if (!Array.isArray(choices)) return false;
  return choices.some((c: { delta?: { content?: unknown; refusal?: unknown; tool_calls?: unknown[] } } | null) =>
    Boolean(c?.delta?.content || c?.delta?.refusal || c?.delta?.tool_calls?.length),
  );
}

/** The answer text and tool-call arguments of one chunk's data. */
function textOf(data: string): string {
  let text = "";
  for (const match of data.matchAll(TEXT_FIELDS)) {
    const raw = match[1]!;
    if (!raw) continue;
    if (!raw.includes("\\")) {
      text += raw;
      continue;
    }
    try {
      text += JSON.parse(`"${raw}"`) as string;
    } catch {
      text += raw;
    }
  }
  return text;
}
