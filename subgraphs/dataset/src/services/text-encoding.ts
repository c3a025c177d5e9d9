import { Readable } from "node:stream";

/** The text encodings CSV and JSON files are read in; everything is converted to UTF-8 before parsing. */
export const TEXT_ENCODINGS = ["utf-8", "utf-16le", "utf-16be", "gbk"] as const;
export type TextEncoding = (typeof TEXT_ENCODINGS)[number];

/**
 * The encoding of a text file from its first bytes: a UTF-16 byte order mark names UTF-16, text that decodes
 * as UTF-8 (with or without a BOM) is UTF-8, and anything else is taken for GBK, the usual legacy encoding of
 * Chinese spreadsheets exported on Windows.
 *
 * @param truncated - whether `head` stops mid-file, so that a multi-byte character cut at its end is not an error.
 */
export function detectEncoding(head: Buffer, truncated = true): TextEncoding {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: truncated });
    return "utf-8";
  } catch {
    return "gbk";
  }
}

/**
 * Converts a stream of `encoding` text to UTF-8 without a byte order mark, chunk by chunk (characters split
 * across chunks are kept whole). UTF-8 input is passed through untouched apart from a leading BOM.
 */
export function toUtf8(source: Readable, encoding: TextEncoding): Readable {
  async function* convert(): AsyncGenerator<Buffer> {
    const decoder = new TextDecoder(encoding, { ignoreBOM: false });
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        const text = decoder.decode(chunk, { stream: true });
        if (text) yield Buffer.from(text, "utf8");
      }
      const rest = decoder.decode();
      if (rest) yield Buffer.from(rest, "utf8");
    } finally {
      source.destroy();
    }
  }
  const out = Readable.from(convert(), { objectMode: false });
  out.once("close", () => source.destroy());
  return out;
}
