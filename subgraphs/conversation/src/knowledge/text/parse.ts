import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { badInput } from "@ods/kit";
import { parse as parseCsv } from "csv-parse/sync";
import { cleanText } from "./clean.js";
import { htmlToText } from "./html.js";

export type DocumentFormat = "txt" | "md" | "html" | "pdf" | "docx" | "csv" | "json";

/** The text of an uploaded file, cleaned with {@link cleanText} and never empty. */
export interface ParsedDocument {
  format: DocumentFormat;
  text: string;
  title?: string;
  /** PDF: the number of pages. */
  pages?: number;
  /** CSV, and JSON arrays of objects: the column names, in order. */
  columns?: string[];
  /** CSV, and JSON arrays of objects: the rows, so a caller can render them with its own row template. */
  rows?: Record<string, unknown>[];
}

const EXTENSIONS: Record<string, DocumentFormat> = {
  txt: "txt",
  text: "txt",
  log: "txt",
  md: "md",
  markdown: "md",
  mdx: "md",
  htm: "html",
  html: "html",
  xhtml: "html",
  pdf: "pdf",
  docx: "docx",
  csv: "csv",
  tsv: "csv",
  json: "json",
  jsonl: "json",
  ndjson: "json",
};

const MIME_TYPES: Record<string, DocumentFormat> = {
  "text/plain": "txt",
  "text/markdown": "md",
  "text/x-markdown": "md",
  "text/html": "html",
  "application/xhtml+xml": "html",
  "application/pdf": "pdf",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "text/csv": "csv",
  "application/csv": "csv",
  "text/tab-separated-values": "csv",
  "application/json": "json",
  "application/x-ndjson": "json",
  "application/jsonl": "json",
};

/** Formats a user may mean but that are not read, with what to do instead. */
const UNSUPPORTED_HINTS: Record<string, string> = {
  doc: "save it as .docx",
  xls: "save it as .csv",
  xlsx: "save it as .csv",
  ppt: "save it as .pdf",
  pptx: "save it as .pdf",
  rtf: "save it as .docx",
  odt: "save it as .docx",
};

const SUPPORTED = ".txt, .md, .html, .pdf, .docx, .csv or .json";

const extensionOf = (filename: string) => /\.([^./\\]+)$/.exec(filename)?.[1]?.toLowerCase() ?? "";

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** `%PDF-` */
const isPdf = (bytes: Uint8Array) => startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d]);

/** A zip (`PK\3\4`) holding `word/…` parts: a Word document, not another Office or zip file. */
const isDocx = (bytes: Uint8Array) =>
  startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) &&
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes("word/document.xml");

/**
 * Detects the format from the file name, then the MIME type, then (when `bytes` are given) the content.
 *
 * @remarks
 * PDF and DOCX magic bytes win over the name and type, since browsers and users mislabel files and those two
 * cannot be read as text. Without a telling name or type, text that parses as JSON is `json`, text that starts
 * like an HTML page is `html`, and other text without NUL bytes is `txt`. Returns null for anything else.
 */
export function detectFormat(filename: string, mimeType?: string | null, bytes?: Uint8Array): DocumentFormat | null {
  if (bytes && isPdf(bytes)) return "pdf";
  if (bytes && isDocx(bytes)) return "docx";
  const byName = EXTENSIONS[extensionOf(filename)];
  if (byName) return byName;
  const mime = mimeType?.split(";")[0].trim().toLowerCase();
  const byType = mime ? MIME_TYPES[mime] : undefined;
  if (byType) return byType;
  if (!bytes || bytes.length === 0 || UNSUPPORTED_HINTS[extensionOf(filename)]) return null;
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return null;
  const start = decodeText(head).trimStart().slice(0, 100).toLowerCase();
  if (start.startsWith("<!doctype html") || start.startsWith("<html")) return "html";
  if (/^[[{]/.test(start)) {
    try {
      JSON.parse(decodeText(bytes));
      return "json";
    } catch {
      // Not JSON after all: plain text that starts with a bracket.
    }
  }
  return "txt";
}

/** True when a text decoded as GB18030 reads as Chinese rather than as mojibake of some other encoding. */
function looksChinese(text: string): boolean {
  const nonAscii = text.match(/[^\x00-\x7F]/g)?.length ?? 0; // eslint-disable-line no-control-regex
  const cjk = text.match(/[\u3000-\u303F\u3400-\u9FFF\uFF00-\uFFEF]/g)?.length ?? 0;
  return nonAscii > 0 && cjk / nonAscii >= 0.9;
}

/**
 * Decodes text bytes: UTF-8 (BOM stripped) or UTF-16 with a BOM; otherwise GB18030 when that decodes cleanly to
 * Chinese (files saved by Chinese Windows and Excel), else Windows-1252 (Latin-1), which decodes any bytes.
 */
export function decodeText(bytes: Uint8Array): string {
  if (startsWith(bytes, [0xff, 0xfe])) return new TextDecoder("utf-16le").decode(bytes);
  if (startsWith(bytes, [0xfe, 0xff])) return new TextDecoder("utf-16be").decode(bytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Not UTF-8: try the legacy encodings below.
  }
  try {
    const text = new TextDecoder("gb18030", { fatal: true }).decode(bytes);
    if (looksChinese(text)) return text;
  } catch {
    // Not GB18030 either.
  }
  return new TextDecoder("windows-1252").decode(bytes);
}

type Extracted = Omit<ParsedDocument, "format">;

function firstMarkdownHeading(text: string): string | undefined {
  return /^ {0,3}#[ \t]+(.+?)[ \t#]*$/m.exec(text)?.[1];
}

/** The directory pdf.js loads the 14 standard PDF fonts from; without it, it warns on every such font. */
let standardFonts: string | undefined;

async function extractPdf(bytes: Uint8Array, filename: string): Promise<Extracted> {
  const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
  standardFonts ??= join(dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json")), "standard_fonts/");
  const task = pdfjs.getDocument({
    // pdf.js takes ownership of (detaches) the buffer it is given, and refuses a Node Buffer.
    data: new Uint8Array(bytes),
    standardFontDataUrl: standardFonts,
    isEvalSupported: false,
    disableFontFace: true,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
  });
  try {
    const pdf = await task.promise.catch((err: unknown) => {
      const name = (err as { name?: string } | null)?.name;
      if (name === "PasswordException") {
        throw badInput(`"${filename}" is password-protected: remove the password and upload it again`);
      }
      throw badInput(`"${filename}" could not be read as a PDF: the file is damaged or not a PDF`);
    });
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      let text = "";
      for (const item of content.items) {
        if (!("str" in item)) continue;
        text += item.str;
        if (item.hasEOL) text += "\n";
      }
      pages.push(text);
      page.cleanup();
    }
    const { info } = await pdf.getMetadata().catch(() => ({ info: undefined }));
    const title = (info as { Title?: unknown } | undefined)?.Title;
    const extracted: Extracted = { text: pages.join("\n\n"), pages: pdf.numPages };
    if (typeof title === "string" && title.trim()) extracted.title = title.trim();
    return extracted;
  } finally {
    await task.destroy();
  }
}

async function extractDocx(bytes: Uint8Array, filename: string): Promise<Extracted> {
  const { default: mammoth } = await import("mammoth");
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      // Images are not text: skip encoding them as data URIs only to throw them away.
      { convertImage: mammoth.images.imgElement(async () => ({ src: "" })) },
    );
    html = result.value;
  } catch {
    throw badInput(`"${filename}" could not be read as a .docx file: the file is damaged or not a Word document`);
  }
  // mammoth maps Word's Heading 1–6 styles to <h1>–<h6>, which become Markdown `#` lines here.
  return htmlToText(html);
}

/** Picks the CSV delimiter that splits the first lines into the same number of columns, the most columns first. */
function sniffDelimiter(text: string): string {
  const lines = text
    .split("\n", 6)
    .filter((l) => l.trim() !== "")
    .slice(0, 5);
  let best = { delimiter: ",", score: 0 };
  for (const delimiter of [",", ";", "\t", "|"]) {
    const counts = lines.map((l) => l.replace(/"[^"]*"/g, "").split(delimiter).length - 1);
    const min = Math.min(...counts);
    const score = min > 0 && counts.every((c) => c === min) ? min * 10 : min;
    if (score > best.score) best = { delimiter, score };
  }
  return best.delimiter;
}

const isNumeric = (s: string) => /^[-+]?[\d.,]+%?$/.test(s.trim()) && /\d/.test(s);

/** A first row of short, distinct, non-numeric labels is a header; anything else is data. */
function hasHeader(rows: string[][]): boolean {
  if (rows.length < 2) return false;
  const first = rows[0];
  const seen = new Set<string>();
  for (const cell of first) {
    const c = cell.trim().toLowerCase();
    if (c === "" || c.length > 60 || isNumeric(c) || seen.has(c)) return false;
    seen.add(c);
  }
  return true;
}

/** Column names made unique ("price", "price 2"), so no value is lost in a row object. */
function uniqueColumns(names: string[]): string[] {
  const used = new Map<string, number>();
  return names.map((name) => {
    const n = (used.get(name) ?? 0) + 1;
    used.set(name, n);
    return n === 1 ? name : `${name} ${n}`;
  });
}

const showValue = (v: unknown) =>
  v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v).trim();

/** Each row as one `col: value; col: value` line (empty values left out), so a row stays one searchable unit. */
function tableText(columns: string[], rows: Record<string, unknown>[]): string {
  return rows
    .map((row) =>
      columns
        .map((c) => [c, showValue(row[c])])
        .filter(([, v]) => v !== "")
        .map(([c, v]) => `${c}: ${v}`)
        .join("; "),
    )
    .filter((line) => line !== "")
    .join("\n");
}

function extractCsv(text: string, filename: string): Extracted {
  let records: string[][];
  try {
    records = parseCsv(text, {
      delimiter: extensionOf(filename) === "tsv" ? "\t" : sniffDelimiter(text),
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
    }) as string[][];
  } catch (err) {
    throw badInput(`"${filename}" could not be read as CSV: ${(err as Error).message}`);
  }
  const header = hasHeader(records);
  const width = Math.max(0, ...records.map((r) => r.length));
  const names = header ? records[0] : [];
  const columns = uniqueColumns(Array.from({ length: width }, (_, i) => names[i]?.trim() || `column ${i + 1}`));
  const rows = (header ? records.slice(1) : records).map((r) =>
    Object.fromEntries(columns.map((c, i) => [c, r[i] ?? ""])),
  );
  return { text: tableText(columns, rows), columns, rows };
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function extractJson(text: string, filename: string): Extracted {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // JSON Lines: one value per line.
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    try {
      if (lines.length < 2) throw err;
      value = lines.map((l) => JSON.parse(l) as unknown);
    } catch {
      throw badInput(`"${filename}" is not valid JSON: ${(err as Error).message}`);
    }
  }
  // `{ "items": [ {...}, ... ] }`, a common export shape, is read as the table it wraps.
  if (isRecord(value)) {
    const values = Object.values(value);
    if (values.length === 1 && Array.isArray(values[0])) value = values[0];
  }
  if (Array.isArray(value) && value.length > 0 && value.every(isRecord)) {
    const columns = [...new Set(value.flatMap((row) => Object.keys(row)))];
    return { text: tableText(columns, value), columns, rows: value };
  }
  if (Array.isArray(value) && value.every((v) => !isRecord(v) && !Array.isArray(v))) {
    return { text: value.map(showValue).join("\n") };
  }
  return { text: JSON.stringify(value, null, 2) };
}

/**
 * Reads an uploaded file into clean text for a knowledge base.
 *
 * @remarks
 * - txt and md: decoded ({@link decodeText}); Markdown is kept as Markdown (the markdown chunker reads its headings).
 * - html: visible text with headings as `#` lines; scripts and styles dropped.
 * - pdf: the text of each page (pdf.js), line breaks where pdf.js marks the end of a line, pages separated by a
 *   blank line; `pages` counted; `title` from the document info.
 * - docx: mammoth, with Heading 1–3 styles as `#` lines.
 * - csv and json arrays of objects: one `col: value; col: value` line per row; `columns` and `rows` returned.
 *   Other JSON is pretty-printed.
 *
 * pdf.js runs on the calling thread here, so a large PDF keeps the event loop busy: call this from a job.
 * @throws AppError BAD_USER_INPUT for an unsupported type, a damaged or password-protected file, and a file with
 * no text (a scanned PDF without a text layer).
 */
export async function parseDocument(input: {
  bytes: Uint8Array;
  filename: string;
  mimeType?: string | null;
}): Promise<ParsedDocument> {
  const { bytes, filename, mimeType } = input;
  const format = detectFormat(filename, mimeType, bytes);
  if (!format) {
    const hint = UNSUPPORTED_HINTS[extensionOf(filename)];
    throw badInput(
      hint
        ? `"${filename}" cannot be read: ${hint} and upload it again`
        : `"${filename}" is not a supported file type: upload ${SUPPORTED}`,
    );
  }
  let extracted: Extracted;
  switch (format) {
    case "pdf":
      extracted = await extractPdf(bytes, filename);
      break;
    case "docx":
      extracted = await extractDocx(bytes, filename);
      break;
    case "html":
      extracted = htmlToText(decodeText(bytes));
      break;
    case "csv":
      extracted = extractCsv(decodeText(bytes), filename);
      break;
    case "json":
      extracted = extractJson(decodeText(bytes), filename);
      break;
    case "md": {
      const text = decodeText(bytes);
      const title = firstMarkdownHeading(text);
      extracted = title ? { text, title } : { text };
      break;
    }
    case "txt":
      extracted = { text: decodeText(bytes) };
      break;
  }
  const text = cleanText(extracted.text);
  if (text === "") {
    throw badInput(
      format === "pdf"
        ? `"${filename}" has no text layer (a scanned PDF needs OCR before it can be added)`
        : `"${filename}" contains no text`,
    );
  }
  return { ...extracted, format, text };
}
