import { fromZod, withoutNulls } from "@ods/kit";
import { z } from "zod";
import { wordSegments } from "./segment.js";

/** How a knowledge-base document is cut into the pieces that are embedded and searched. */
export interface ChunkSettings {
  /**
   * `recursive`: cut at the coarsest boundary that fits (paragraph, line, sentence, clause, word).
   * `markdown`: cut at headings first, then recursively inside long sections.
   * `parent_child`: small chunks for search, each linked to the larger passage it sits in, for the model.
   */
  strategy: "recursive" | "markdown" | "parent_child";
  /** Most characters in a chunk. */
  size: number;
  /** Most characters a chunk repeats from the end of the one before it, so a fact cut in two is whole in one. */
  overlap: number;
  /** Most characters in a parent passage (`parent_child` only). */
  parentSize?: number;
}

/** 500-character chunks with 50 characters of overlap; parents of 2000 characters. */
export const DEFAULT_CHUNK_SETTINGS: ChunkSettings = {
  strategy: "recursive",
  size: 500,
  overlap: 50,
  parentSize: 2000,
};

/** One piece of a document. `content` is always `text.slice(start, end)` of the text that was chunked. */
export interface TextChunk {
  /** 0..n-1, stable for the same text and settings. */
  index: number;
  /** What is embedded and searched. */
  content: string;
  /** Character (UTF-16 code unit) offsets into the chunked text. */
  start: number;
  end: number;
  /** `markdown`: the heading path "A > B" the chunk sits under. */
  heading?: string;
  /** `parent_child`: the larger passage handed to the model when this chunk is found. */
  parent?: { index: number; content: string; start: number; end: number };
}

export const MIN_CHUNK_SIZE = 50;
export const MAX_CHUNK_SIZE = 8000;
export const MAX_PARENT_SIZE = 32_000;

const whole = (what: string) => z.number({ error: "must be a number" }).int(`${what} must be a whole number`);

const settingsSchema = z
  .object({
    strategy: z
      .enum(["recursive", "markdown", "parent_child"], { error: "must be recursive, markdown or parent_child" })
      .default(DEFAULT_CHUNK_SETTINGS.strategy),
    size: whole("size")
      .min(MIN_CHUNK_SIZE, `must be at least ${MIN_CHUNK_SIZE} characters`)
      .max(MAX_CHUNK_SIZE, `must be at most ${MAX_CHUNK_SIZE} characters`)
      .default(DEFAULT_CHUNK_SETTINGS.size),
    overlap: whole("overlap").min(0, "must not be negative").optional(),
    parentSize: whole("parentSize").max(MAX_PARENT_SIZE, `must be at most ${MAX_PARENT_SIZE} characters`).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.overlap !== undefined && s.overlap >= s.size) {
      ctx.addIssue({ code: "custom", path: ["overlap"], message: `must be smaller than size (${s.size})` });
    }
    if (s.strategy === "parent_child" && s.parentSize !== undefined && s.parentSize <= s.size) {
      ctx.addIssue({ code: "custom", path: ["parentSize"], message: `must be larger than size (${s.size})` });
    }
  });

/**
 * Checks chunk settings from a user and fills in the defaults.
 *
 * @remarks
 * A missing `overlap` is 10 % of `size` (at most 50); a missing `parentSize` is four times `size` (at least 2000).
 * `parentSize` must exceed `size` only for `parent_child`; other strategies ignore it.
 * `null` counts as missing, as GraphQL sends it for omitted optional fields.
 * @throws AppError BAD_USER_INPUT with one message per field (size < 50 or > 8000, overlap >= size, …).
 */
export function validateChunkSettings(s: Partial<ChunkSettings>): ChunkSettings {
  const result = settingsSchema.safeParse(withoutNulls(s ?? {}));
  if (!result.success) throw fromZod(result.error, "Invalid chunk settings");
  const { strategy, size } = result.data;
  const overlap = result.data.overlap ?? Math.min(DEFAULT_CHUNK_SETTINGS.overlap, Math.floor(size / 10));
  // Only parent_child uses parentSize; a stale one from other settings (smaller than a new size) is replaced.
  const given = result.data.parentSize;
  const parentSize = given !== undefined && given > size ? given : Math.min(MAX_PARENT_SIZE, Math.max(2000, size * 4));
  return { strategy, size, overlap, parentSize };
}

interface Span {
  start: number;
  end: number;
}

/**
 * Where a span that is too long may be cut, coarsest first. A cut goes right after each match, so the separator
 * stays with the text before it: a sentence keeps its full stop, and the next chunk starts with the next sentence.
 *
 * @remarks
 * Latin sentence ends need whitespace after them, so "3.14", "v1.2" and "XK-2291." inside a sentence are not cut.
 * CJK sentence ends (。！？；) need none: Chinese and Japanese put no space between sentences. Closing quotes and
 * brackets after a sentence end belong to that sentence. `words` cuts at Intl.Segmenter word boundaries, which
 * finds the words of Chinese and Japanese text that has no spaces; `chars` is the last resort for a run of letters
 * longer than a chunk (a base64 blob) and never cuts a surrogate pair in two.
 */
const LEVELS: readonly (RegExp | "words" | "chars")[] = [
  /\n[ \t]*\n\s*/g,
  /\n\s*/g,
  /[。！？；][」』”’）)\]]*\s*|[.!?;]["'”’)\]]*\s+/g,
  /，\s*/g,
  /、/g,
  /[ \t]+/g,
  "words",
  "chars",
];

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** The cut positions strictly inside (start, end) at one level. */
function cutsAt(text: string, start: number, end: number, size: number, level: RegExp | "words" | "chars"): number[] {
  const cuts: number[] = [];
  if (level === "chars") {
    for (let c = start + size; c < end; c += size) {
      if (isHighSurrogate(text.charCodeAt(c - 1))) c -= 1;
      cuts.push(c);
    }
  } else if (level === "words") {
    for (const word of wordSegments(text, start, end)) if (word.start > start) cuts.push(word.start);
  } else {
    const re = new RegExp(level.source, "g");
    re.lastIndex = start;
    for (let m = re.exec(text); m && m.index < end; m = re.exec(text)) {
      const cut = m.index + m[0].length;
      if (cut >= end) break;
      if (cut > start) cuts.push(cut);
    }
  }
  return cuts;
}

/** Cuts [start, end) into contiguous pieces of at most `size` characters, each at the coarsest boundary possible. */
function splitPieces(text: string, start: number, end: number, size: number, level: number, out: Span[]): void {
  if (end - start <= size) {
    out.push({ start, end });
    return;
  }
  for (let l = level; l < LEVELS.length; l++) {
    const cuts = cutsAt(text, start, end, size, LEVELS[l]);
    if (cuts.length === 0) continue;
    let from = start;
    for (const cut of [...cuts, end]) {
      splitPieces(text, from, cut, size, l + 1, out);
      from = cut;
    }
    return;
  }
  out.push({ start, end }); // unreachable: "chars" always cuts a span longer than size
}

/** [start, end) without leading and trailing whitespace; null when nothing is left. */
function trimSpan(text: string, start: number, end: number): Span | null {
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return end > start ? { start, end } : null;
}

/**
 * Where the next chunk starts so that it repeats at most `limit` characters before `end`: at a piece boundary
 * (a sentence or clause) when that keeps at least half the allowed overlap, otherwise at a word boundary.
 */
function overlapStart(text: string, pieces: Span[], next: number, chunkStart: number, limit: number): number | null {
  const end = pieces[next].start;
  const lo = Math.max(end - limit, chunkStart + 1);
  if (limit <= 0 || lo >= end) return null;
  let boundary: number | null = null;
  for (let k = next - 1; k >= 0 && pieces[k].start >= lo; k--) boundary = pieces[k].start;
  if (boundary !== null && end - boundary >= limit / 2) return boundary;
  // A window a little wider than the overlap, so the segmenter sees the whole word that straddles `lo`.
  const from = Math.max(chunkStart, lo - 32);
  // The first word (not punctuation or space) that starts inside the overlap window.
  for (const { start: b, isWordLike } of wordSegments(text, from, end)) {
    if (b >= end) break;
    if (b >= lo && isWordLike) return boundary === null ? b : Math.min(b, boundary);
  }
  return boundary;
}

/**
 * Greedily merges pieces into chunks of at most `size` characters; each chunk after the first starts up to
 * `overlap` characters before the end of the one before it. Every chunk holds at least one new piece, so this
 * always ends, and a chunk that would add nothing but whitespace is dropped.
 */
function mergePieces(text: string, pieces: Span[], size: number, overlap: number): Span[] {
  const chunks: Span[] = [];
  let i = 0;
  let carry: number | null = null;
  while (i < pieces.length) {
    const start: number = carry ?? pieces[i].start;
    let end = pieces[i].end;
    let j = i + 1;
    while (j < pieces.length && pieces[j].end - start <= size) end = pieces[j++].end;
    const span = trimSpan(text, start, end);
    const last = chunks[chunks.length - 1];
    if (span && (!last || span.end > last.end)) chunks.push(span);
    i = j;
    carry =
      overlap > 0 && i < pieces.length
        ? overlapStart(text, pieces, i, start, Math.min(overlap, size - (pieces[i].end - pieces[i].start)))
        : null;
  }
  return chunks;
}

/** Recursive chunks of text[start, end). */
function recursiveSpans(text: string, start: number, end: number, size: number, overlap: number): Span[] {
  const pieces: Span[] = [];
  splitPieces(text, start, end, size, 0, pieces);
  return mergePieces(text, pieces, size, overlap);
}

interface Section extends Span {
  heading?: string;
  /** Where the heading line ends; a section whose body after it is blank is folded into the next one. */
  bodyStart: number;
}

const ATX_HEADING = /^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Splits Markdown at its ATX headings (`#` … `######`), ignoring `#` lines inside fenced code blocks. */
function markdownSections(text: string): Section[] {
  const sections: Section[] = [];
  const path: { level: number; title: string }[] = [];
  let fence: string | null = null;
  let current: Section = { start: 0, end: text.length, bodyStart: 0 };
  let offset = 0;
  for (const line of text.split("\n")) {
    const lineStart = offset;
    offset += line.length + 1;
    const f = FENCE.exec(line);
    if (f) {
      if (fence === null) fence = f[1][0].repeat(3);
      else if (f[1].startsWith(fence)) fence = null;
      continue;
    }
    const h = fence === null ? ATX_HEADING.exec(line) : null;
    if (!h) continue;
    const level = h[1].length;
    while (path.length > 0 && path[path.length - 1].level >= level) path.pop();
    path.push({ level, title: h[2].trim() });
    current.end = lineStart;
    sections.push(current);
    current = {
      start: lineStart,
      end: text.length,
      bodyStart: Math.min(offset, text.length),
      heading: path.map((p) => p.title).join(" > "),
    };
  }
  sections.push(current);
  // A heading with nothing under it before the next heading ("# Guide" right above "## Install") is kept with
  // the next section rather than made a chunk of its own that would match searches and tell the model nothing.
  const merged: Section[] = [];
  let pendingStart: number | null = null;
  sections.forEach((s, n) => {
    const blank = text.slice(s.bodyStart, s.end).trim() === "";
    if (blank && n < sections.length - 1 && (s.heading !== undefined || pendingStart !== null)) {
      pendingStart ??= s.start;
      return;
    }
    merged.push({ ...s, start: pendingStart ?? s.start });
    pendingStart = null;
  });
  return merged;
}

/**
 * Cuts text into chunks for a knowledge base. Deterministic: the same text and settings give the same chunks.
 *
 * @remarks
 * Chunks are never empty, never longer than `size`, never start or end with whitespace, and never cut a surrogate
 * pair. Chinese and Japanese text is cut at 。！？； first, then ，、, then between words found by Intl.Segmenter,
 * so a chunk does not end in the middle of a word. Offsets index the `text` given here, so callers should chunk
 * the cleaned text they store.
 * @throws AppError BAD_USER_INPUT when the settings are out of range (see {@link validateChunkSettings}).
 */
export function chunkText(text: string, settings: ChunkSettings): TextChunk[] {
  const { strategy, size, overlap, parentSize } = validateChunkSettings(settings);
  const at = (span: Span, index: number) => ({
    index,
    content: text.slice(span.start, span.end),
    start: span.start,
    end: span.end,
  });
  if (strategy === "markdown") {
    const chunks: TextChunk[] = [];
    for (const section of markdownSections(text)) {
      for (const span of recursiveSpans(text, section.start, section.end, size, overlap)) {
        const chunk: TextChunk = at(span, chunks.length);
        if (section.heading !== undefined) chunk.heading = section.heading;
        chunks.push(chunk);
      }
    }
    return chunks;
  }
  if (strategy === "parent_child") {
    const chunks: TextChunk[] = [];
    // Parents do not overlap, so each child belongs to exactly one parent and no passage reaches the model twice.
    recursiveSpans(text, 0, text.length, parentSize!, 0).forEach((parentSpan, parentIndex) => {
      const parent = at(parentSpan, parentIndex);
      for (const span of recursiveSpans(text, parent.start, parent.end, size, overlap)) {
        chunks.push({ ...at(span, chunks.length), parent });
      }
    });
    return chunks;
  }
  return recursiveSpans(text, 0, text.length, size, overlap).map(at);
}
