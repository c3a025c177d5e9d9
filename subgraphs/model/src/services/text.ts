/**
 * The simple tokenizer shared by the built-in chat model and the embedder: a "token" is a run of non-space,
 * non-CJK characters (a word with its punctuation) or one CJK character. Not a model's real tokenizer, but
 * stable, cheap and close enough for usage counts and context budgets.
 */

// Han, kana: scripts written without spaces, so each character counts as a word. Hangul uses spaces and is not here.
const CJK = "\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}";
const CJK_CHAR = new RegExp(`[${CJK}]`, "u");
const TOKEN = new RegExp(`[${CJK}]|[^\\s${CJK}]+`, "gu");
const PIECE = new RegExp(`\\s*(?:[${CJK}]|[^\\s${CJK}]+)\\s*`, "gu");
const WORD = new RegExp(`[${CJK}]|(?:(?![${CJK}])[\\p{L}\\p{N}])+`, "gu");

/** Whether `char` (one code point) is written without spaces (Han, Hiragana, Katakana). */
export function isCjk(char: string): boolean {
  return CJK_CHAR.test(char);
}

/** Whether `text` contains any CJK character. */
export function hasCjk(text: string): boolean {
  return CJK_CHAR.test(text);
}

/** The tokens of `text`: words with their punctuation, and single CJK characters. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** How many tokens `text` has by {@link tokenize}. */
export function countTokens(text: string): number {
  return tokenize(text).length;
}

/**
 * Splits `text` into one piece per token, each keeping the whitespace around it, so that the pieces joined
 * give back `text` exactly (what a stream of deltas must do).
 */
export function splitPieces(text: string): string[] {
  const pieces = text.match(PIECE) ?? [];
  // Whitespace-only text has no token to attach to: it is one piece of its own.
  if (pieces.length === 0) return text ? [text] : [];
  return pieces;
}

/** The words of `text` for matching: lower-cased letter/digit runs (NFKC), and each CJK character. */
export function words(text: string): string[] {
  return text.normalize("NFKC").toLowerCase().match(WORD) ?? [];
}
