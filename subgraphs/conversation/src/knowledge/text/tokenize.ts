import { wordSegments } from "./segment.js";

/** Han ideographs, kana and Hangul: scripts written without spaces between words (Hangul: within words). */
const CJK_CHAR = String.raw`[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30FC]`;
const CJK = new RegExp(`${CJK_CHAR}+`, "gu");

/**
 * Codes such as product numbers, versions and ids: letters or digits joined by `-`, `_`, `.` or `/`, with at
 * least one digit ("xk-2291", "v1.2.3", "sku_77"). Plain hyphenated words ("well-known") are left to the word
 * segmenter, which already emits their parts. CJK characters are not part of a code: "编号XK-2291" holds "xk-2291".
 */
const CODE_PART = String.raw`(?:(?!${CJK_CHAR})[\p{L}\p{N}])+`;
const CODE = new RegExp(`${CODE_PART}(?:[-_./]${CODE_PART})+`, "gu");

/**
 * Splits text into search terms for the keyword (BM25) index; queries and documents go through the same function.
 *
 * @remarks
 * - NFKC then lower case, so full-width "ＸＫ－２２９１" and "XK-2291" are the same term.
 * - Word-like segments from Intl.Segmenter, which uses ICU's dictionary for Chinese and Japanese.
 * - Each CJK run again as overlapping character bigrams ("退货政策" → 退货, 货政, 政策): the segmenter's words and a
 *   user's words often differ (it cuts 退货 into 退 and 货), and bigrams let a partial phrase match either way.
 * - Codes joined by `-_./` and containing a digit as one term as well as their parts, so "XK-2291" matches that
 *   exact code more strongly than "XK-2290", which shares only the "xk" part.
 */
export function tokenize(text: string): string[] {
  const s = text.normalize("NFKC").toLowerCase();
  const tokens: string[] = [];
  for (const { segment, isWordLike } of wordSegments(s)) if (isWordLike) tokens.push(segment);
  const words = new Set(tokens);
  // The segmenter keeps some codes whole already ("v1.2"); counting them twice would inflate their weight.
  for (const [code] of s.matchAll(CODE)) if (/\p{N}/u.test(code) && !words.has(code)) tokens.push(code);
  for (const [run] of s.matchAll(CJK)) {
    const chars = Array.from(run);
    for (let i = 0; i + 1 < chars.length; i++) tokens.push(chars[i] + chars[i + 1]);
  }
  return tokens;
}
