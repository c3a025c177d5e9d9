/**
 * Characters that carry no text: C0/C1 controls other than tab and newline, the byte-order mark, zero-width space
 * and the soft hyphen. Zero-width (non-)joiners stay: emoji sequences and Persian/Indic spelling need them.
 */
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u200B\u2060\uFEFF]/g;

/**
 * Latin-script spaces of odd widths (no-break, en, em, thin, narrow no-break…) become a plain space so that they
 * collapse and tokenise like one. The ideographic space U+3000 is left alone: in CJK text it is part of the layout.
 */
const ODD_SPACES = /[\u00A0\u1680\u2000-\u200A\u202F\u205F]/g;

/**
 * Normalises extracted text before it is chunked and indexed.
 *
 * @remarks
 * Unicode NFC (so a composed and a decomposed "é" are the same characters and the same offsets downstream), line
 * breaks as `\n`, invisible control characters removed, runs of spaces inside a line collapsed to one, trailing
 * spaces dropped, at most one blank line in a row, and the whole trimmed. Leading indentation is kept because it
 * carries meaning in Markdown (nested lists, code). CJK text passes through untouched: it has no spaces to collapse.
 * Idempotent: cleaning clean text changes nothing.
 *
 * @example
 * cleanText("a  b\r\n\r\n\r\nc\u0000") // "a b\n\nc"
 */
export function cleanText(text: string): string {
  const lines = text
    .normalize("NFC")
    .replace(/\r\n?|[\u2028\u2029\u0085]/g, "\n")
    .replace(INVISIBLE, "")
    .replace(ODD_SPACES, " ")
    .split("\n");
  const out: string[] = [];
  let blank = false;
  for (const raw of lines) {
    const indent = /^[ \t]*/.exec(raw)![0];
    const body = raw.slice(indent.length).replace(/ {2,}/g, " ").trimEnd();
    if (body === "") {
      blank = out.length > 0;
      continue;
    }
    if (blank) out.push("");
    blank = false;
    out.push(indent + body);
  }
  return out.join("\n").trimStart();
}
