import { setTimeout as sleep } from "node:timers/promises";
import { countTokens, hasCjk, isCjk, splitPieces, words } from "./text.js";

/**
 * One Data Studio's built-in offline chat model (`builtin-offline`).
 *
 * @remarks It is deliberately NOT a language model, and says so: it answers extractively, quoting the sentences
 * of the context it was given (system prompt, earlier user turns, tool results, retrieved documents) that
 * overlap most with the last user message. With no usable context it explains what it is and how to connect a
 * real model. It is deterministic — the same messages always give the same answer — which makes the platform's
 * chat, RAG and workflow paths testable offline.
 */

/** A chat message as the OpenAI API carries it; only the text parts of `content` are read. */
export interface BuiltinMessage {
  role: string;
  content?: string | ReadonlyArray<{ type: string; text?: string }> | null;
}

export interface BuiltinChatOptions {
  /** Most tokens (words, CJK characters) to answer with; a longer answer is cut and ends with "length". */
  maxTokens?: number | null;
  /** Stop sequences: the answer ends before the first one it contains. */
  stop?: string | string[] | null;
}

export interface BuiltinReply {
  text: string;
  /** `text` split for streaming: one word (or CJK character) per piece, whitespace kept. */
  pieces: string[];
  finishReason: "stop" | "length";
  /** "extractive" when it quoted context, "no-context" when it explained itself instead. */
  mode: "extractive" | "no-context";
  promptTokens: number;
  completionTokens: number;
}

/** How many sentences an extractive answer quotes at most. */
const MAX_QUOTES = 3;
/** A sentence is quoted only if it scores at least this share of the best one. */
const RELATIVE_CUTOFF = 0.35;
/** Sentences longer than this (characters) are cut, so one huge paragraph cannot become the whole answer. */
const MAX_SENTENCE_CHARS = 600;

const STOPWORDS = new Set(
  (
    "a an the and or but if then else of to in on at by for with from into onto about as is are was were be been " +
    "being am do does did done have has had having i me my mine we us our you your yours he him his she her it its " +
    "they them their this that these those there here what which who whom whose when where why how can could " +
    "would should will shall may might must not no nor so than too very just also any all some each other such " +
    "only own same both few more most please tell know let like get got make give say said one two up down out " +
    "over under again further once s t don isn aren wasn weren doesn didn"
  ).split(" "),
);
// Function characters that carry no topic on their own.
const CJK_STOP = new Set([..."的了是在我你他她它们吗呢吧啊和与及或就都也还很这那有个为以之么什怎么请问"]);

/** The plain text of a message's content (string, or the text parts of a multi-part content). */
export function messageText(message: BuiltinMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  if (!content) return "";
  return content
    .map((part) => (part.type === "text" && typeof part.text === "string" ? part.text : ""))
    .filter(Boolean)
    .join("\n");
}

/** Counts prompt tokens of a conversation with the simple tokenizer. */
export function countPromptTokens(messages: readonly BuiltinMessage[]): number {
  return messages.reduce((sum, m) => sum + countTokens(messageText(m)), 0);
}

/**
 * Answers `messages` the built-in way: deterministic, extractive, honest about what it is.
 *
 * @example
 * builtinReply([{ role: "system", content: "The office opens at 9 am." }, { role: "user", content: "When does the office open?" }])
 * // → text quoting "The office opens at 9 am."
 */
export function builtinReply(messages: readonly BuiltinMessage[], options: BuiltinChatOptions = {}): BuiltinReply {
  const lastUser = messages.findLastIndex((m) => m.role === "user");
  const question = lastUser >= 0 ? messageText(messages[lastUser]!) : "";
  // Assistant turns are left out of the context: they are this model's own earlier output, and quoting them would
  // make it repeat itself instead of the material it was given.
  const context = messages
    .filter((m, i) => i !== lastUser && m.role !== "assistant")
    .map(messageText)
    .filter((t) => t.trim().length > 0);

  const quotes = question.trim() ? bestSentences(question, context) : [];
  const chinese = hasCjk(question);
  const full = quotes.length > 0 ? extractiveAnswer(quotes, chinese) : noContextAnswer(chinese);
  const mode = quotes.length > 0 ? "extractive" : "no-context";

  let text = applyStop(full, options.stop);
  let pieces = splitPieces(text);
  let finishReason: BuiltinReply["finishReason"] = "stop";
  if (options.maxTokens != null && pieces.length > options.maxTokens) {
    pieces = pieces.slice(0, Math.max(0, options.maxTokens));
    text = pieces.join("");
    finishReason = "length";
  }
  return {
    text,
    pieces,
    finishReason,
    mode,
    promptTokens: countPromptTokens(messages),
    completionTokens: countTokens(text),
  };
}

/**
 * Yields `pieces` one by one, `delayMs` apart, like a model streaming tokens; stops (without throwing) as soon as
 * `signal` aborts, so a disconnected client stops the generation.
 */
export async function* streamPieces(
  pieces: readonly string[],
  delayMs: number,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  for (let i = 0; i < pieces.length; i++) {
    if (signal?.aborted) return;
    if (i > 0 && delayMs > 0) {
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        return;
      }
    }
    yield pieces[i]!;
  }
}

function extractiveAnswer(quotes: string[], chinese: boolean): string {
  const header = chinese
    ? "以下摘自所提供的上下文（内置离线模型只会引用原文，并未连接语言模型）："
    : "Quoting the provided context (the built-in offline model quotes the most relevant sentences; it is not a language model):";
  return `${header}\n\n${quotes.map((q) => `> ${q}`).join("\n\n")}`;
}

function noContextAnswer(chinese: boolean): string {
  if (chinese) {
    return (
      "我是 One Data Studio 的内置离线模型（builtin-offline），不是语言模型：我只能从提供给我的上下文" +
      "（系统提示、之前的消息或知识库中的文档）中引用与问题相关的句子，而这里没有可用的上下文。" +
      "要获得真正的回答，请用 registerModel 注册一个 OpenAI 兼容的模型并在对话中选择它，baseUrl 例如 " +
      "vLLM 的 http://host:8000/v1、Ollama 的 http://host:11434/v1，或 OpenAI 的 https://api.openai.com/v1。"
    );
  }
  return (
    "I am One Data Studio's built-in offline model (builtin-offline), not a language model: I can only quote " +
    "sentences from the context I am given (a system prompt, earlier messages or documents from a knowledge " +
    "base), and there is no context here that matches your message. To get real answers, connect a language " +
    "model: call registerModel with provider OPENAI_COMPATIBLE and an OpenAI-compatible baseUrl, for example " +
    "vLLM at http://host:8000/v1, Ollama at http://host:11434/v1 or OpenAI at https://api.openai.com/v1, " +
    "then choose that model for your conversation."
  );
}

/** The context sentences that best match `question`, best first; empty when none shares a meaningful term. */
function bestSentences(question: string, context: string[]): string[] {
  const queryTerms = terms(question);
  if (queryTerms.size === 0) return [];
  // A sentence remembers the numbered source it came from (`[n] …` blocks, as knowledge-base context is laid
  // out), so that its quote can cite that source the way a language model is asked to.
  const markers = new Map<string, string>();
  for (const text of context) {
    for (const block of text.split(/(?=^\[\d+\]\s)/mu)) {
      const marker = /^\[(\d+)\]\s/u.exec(block)?.[1];
      for (const sentence of splitSentences(block)) if (marker && !markers.has(sentence)) markers.set(sentence, marker);
    }
  }
  const cite = (sentence: string) => {
    const marker = markers.get(sentence);
    return marker && !sentence.includes(`[${marker}]`) ? `${sentence} [${marker}]` : sentence;
  };
  const sentences = [...new Set(context.flatMap(splitSentences))];
  if (sentences.length === 0) return [];
  const sentenceTerms = sentences.map(terms);
  const df = new Map<string, number>();
  for (const t of sentenceTerms) for (const term of t.keys()) df.set(term, (df.get(term) ?? 0) + 1);

  const scored = sentences.map((sentence, index) => {
    const own = sentenceTerms[index]!;
    let score = 0;
    for (const [term, weight] of queryTerms) {
      if (!own.has(term)) continue;
      // Rarer terms say more about which sentence answers the question (IDF over the context's sentences).
      score += weight * Math.log(1 + sentences.length / df.get(term)!);
    }
    // A mild length penalty, so a long sentence does not win only by containing many words.
    return { sentence, index, score: score / (1 + 0.05 * Math.sqrt(own.size)) };
  });
  const best = Math.max(...scored.map((s) => s.score));
  if (best <= 0) return [];
  return scored
    .filter((s) => s.score > 0 && s.score >= best * RELATIVE_CUTOFF)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, MAX_QUOTES)
    .map((s) => cite(s.sentence));
}

/** Meaningful terms with weights: content words (lightly stemmed), CJK characters and CJK character pairs. */
function terms(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const list = words(text);
  for (let i = 0; i < list.length; i++) {
    const word = list[i]!;
    if (isCjk(word)) {
      if (!CJK_STOP.has(word)) out.set(word, Math.max(out.get(word) ?? 0, 0.5));
      const next = list[i + 1];
      if (next && isCjk(next)) out.set(word + next, 1);
    } else if (!STOPWORDS.has(word) && (word.length > 1 || /\d/.test(word))) {
      out.set(stem(word), 1);
    }
  }
  return out;
}

/** Strips the commonest English inflections so "hours" matches "hour" and "opening" matches "opens". */
function stem(word: string): string {
  if (word.length <= 4) return word;
  for (const suffix of ["ing", "ies", "ed", "es", "s"]) {
    if (word.endsWith(suffix) && !word.endsWith("ss")) {
      const base = word.slice(0, -suffix.length);
      return suffix === "ies" ? `${base}y` : base;
    }
  }
  return word;
}

/** Splits text into sentences at line breaks and sentence ends (., !, ?, and their CJK forms). */
function splitSentences(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?])\s+|(?<=[。！？；])/u)
    .map((s) =>
      s
        .replace(/^\s*(?:[-*•>]|\d+[.)])\s+/u, "")
        .replace(/\s+/gu, " ")
        .trim(),
    )
    .filter((s) => words(s).length >= 2)
    .map((s) => (s.length > MAX_SENTENCE_CHARS ? `${s.slice(0, MAX_SENTENCE_CHARS).trimEnd()}…` : s));
}

function applyStop(text: string, stop: BuiltinChatOptions["stop"]): string {
  const list = (typeof stop === "string" ? [stop] : (stop ?? [])).filter((s) => s.length > 0);
  let end = text.length;
  for (const s of list) {
    const at = text.indexOf(s);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}
