import { Readable } from "node:stream";
import { pipeline } from "node:stream";
import { parse } from "csv-parse";
import { InferError } from "./infer-error.js";
import { jsonArrayRecords } from "./json-array.js";
import { detectEncoding, toUtf8, type TextEncoding } from "./text-encoding.js";

export { InferError };

/** The column types a dataset's schema uses; SQL over datasets maps them to its own types. */
export const COLUMN_TYPES = ["INTEGER", "FLOAT", "BOOLEAN", "DATE", "TIMESTAMP", "STRING"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** One column of a dataset, as stored in `Dataset.columns`. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

/** The file formats read as a stream of text; Parquet is read through DuckDB (see parquet.ts). */
export type ReadableFormat = "CSV" | "JSONL" | "JSON";

/** How a CSV file is written: detected when it is registered, stored with it, and used by every reader. */
export interface CsvDialect {
  delimiter: string;
  /** The quote character: `"` almost always, `'` for some exports. */
  quote: string;
  /** Whether the first record names the columns. */
  header: boolean;
  encoding: TextEncoding;
}

/** The dialect assumed for CSV files registered before dialects were detected. */
export const DEFAULT_CSV_DIALECT: CsvDialect = { delimiter: ",", quote: '"', header: true, encoding: "utf-8" };

export interface InferOptions {
  /** Stop after this many data rows. @defaultValue `1000` */
  maxRows?: number;
  /** Stop once this many bytes have been parsed. @defaultValue `1_048_576` — 1 MiB */
  maxBytes?: number;
}

export interface InferredSchema {
  columns: ColumnSpec[];
  /** How many data rows the types were inferred from. */
  sampledRows: number;
  /** The CSV field delimiter that was detected (absent for JSONL). */
  delimiter?: string;
  /** How the CSV file is written (absent for JSONL and JSON). */
  csv?: CsvDialect;
}

/** The delimiters {@link detectDelimiter} chooses among, in order of preference when they score the same. */
export const DELIMITERS = [",", ";", "\t", "|"] as const;

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/i;

function validDate(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
}

/**
 * The narrowest type a single non-empty text value fits.
 *
 * @remarks Integers with a leading zero (`007`, zip codes) are STRING: reading them as numbers would lose the
 * zeros, and they are identifiers rather than quantities.
 */
export function typeOfText(value: string): ColumnType {
  const v = value.trim();
  if (INTEGER.test(v)) return /^[+-]?0\d/.test(v) ? "STRING" : "INTEGER";
  if (FLOAT.test(v)) return "FLOAT";
  const lower = v.toLowerCase();
  if (lower === "true" || lower === "false") return "BOOLEAN";
  const date = DATE.exec(v);
  if (date) return validDate(date[1]!, date[2]!, date[3]!) ? "DATE" : "STRING";
  const ts = TIMESTAMP.exec(v);
  if (ts && validDate(ts[1]!, ts[2]!, ts[3]!) && Number(ts[4]) < 24 && Number(ts[5]) < 60) return "TIMESTAMP";
  return "STRING";
}

/** The type of a parsed JSON value; strings that look like dates and timestamps keep those types. */
export function typeOfJson(value: unknown): ColumnType {
  if (typeof value === "boolean") return "BOOLEAN";
  if (typeof value === "number") return Number.isInteger(value) ? "INTEGER" : "FLOAT";
  if (typeof value === "string") {
    const t = typeOfText(value);
    return t === "DATE" || t === "TIMESTAMP" ? t : "STRING";
  }
  // Nested objects and arrays have no column type of their own; SQL sees them as JSON text.
  return "STRING";
}

/**
 * The narrowest type that holds values of both types: INTEGER ⊂ FLOAT ⊂ STRING, DATE ⊂ TIMESTAMP ⊂ STRING,
 * BOOLEAN ⊂ STRING. `undefined` means "no non-empty value seen yet".
 */
export function widenType(a: ColumnType | undefined, b: ColumnType): ColumnType {
  if (a === undefined || a === b) return b;
  const pair = new Set([a, b]);
  if (pair.has("INTEGER") && pair.has("FLOAT")) return "FLOAT";
  if (pair.has("DATE") && pair.has("TIMESTAMP")) return "TIMESTAMP";
  return "STRING";
}

/**
 * Makes header names usable as column names: trimmed, empty ones named `column_<position>`, and repeats
 * suffixed `_2`, `_3`… so every name is unique.
 */
export function uniqueHeaders(raw: string[]): string[] {
  const used = new Set<string>();
  return raw.map((header, i) => {
    const base = header.trim() || `column_${i + 1}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}

/**
 * Picks the field delimiter of a CSV sample among `,` `;` tab `|`: the one that splits the most records into
 * the same number of fields (quotes respected), preferring more fields, then the order of {@link DELIMITERS}.
 *
 * @param sample - the start of the file; a last line without a newline is ignored when `truncated`.
 */
export function detectDelimiter(sample: string, truncated = false): string {
  const records = countPerRecord(sample.replace(/^\uFEFF/, ""), truncated);
  let best: { delimiter: string; agreeing: number; fields: number } | undefined;
  for (const [i, delimiter] of DELIMITERS.entries()) {
    const counts = records.map((r) => r[i]!);
    const mode = modeOf(counts);
    if (mode === 0) continue;
    const agreeing = counts.filter((c) => c === mode).length;
    if (!best || agreeing > best.agreeing || (agreeing === best.agreeing && mode > best.fields)) {
      best = { delimiter, agreeing, fields: mode };
    }
  }
  return best?.delimiter ?? ",";
}

/** Per record of the sample (at most 50), how often each delimiter occurs outside quotes. */
function countPerRecord(sample: string, truncated: boolean): number[][] {
  const records: number[][] = [];
  let counts = DELIMITERS.map(() => 0);
  let inQuote = false;
  let content = false;
  for (let i = 0; i < sample.length && records.length < 50; i++) {
    const ch = sample[i]!;
    if (ch === '"') {
      // A doubled quote inside a quoted field toggles twice, which leaves the state as it was.
      inQuote = !inQuote;
      content = true;
    } else if (!inQuote && (ch === "\n" || ch === "\r")) {
      if (content) records.push(counts);
      counts = DELIMITERS.map(() => 0);
      content = false;
    } else if (!inQuote) {
      const d = DELIMITERS.indexOf(ch as (typeof DELIMITERS)[number]);
      if (d >= 0) counts[d]!++;
      content = true;
    }
  }
  if (content && !truncated && records.length < 50) records.push(counts);
  return records;
}

function modeOf(values: number[]): number {
  const freq = new Map<number, number>();
  let mode = 0;
  let best = 0;
  for (const v of values) {
    const f = (freq.get(v) ?? 0) + 1;
    freq.set(v, f);
    if (f > best || (f === best && v > mode)) [mode, best] = [v, f];
  }
  return mode;
}

/**
 * Reads the first `bytes` of a stream without losing them: returns them and a stream that replays them and
 * then continues with the rest. Destroying the returned stream destroys the source.
 */
export async function peek(source: Readable, bytes: number): Promise<{ head: Buffer; rest: Readable; ended: boolean }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string);
    chunks.push(chunk);
    size += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    yield head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const rest = Readable.from(replay(), { objectMode: false });
  rest.once("close", () => source.destroy());
  return { head, rest, ended };
}

/** How many bytes of the start of a CSV file encoding, delimiter and quote detection look at. */
const SNIFF_BYTES = 64 * 1024;

/**
 * The quote character of a CSV sample: `'` when single-quoted fields (a `'` right after a delimiter or line
 * start and right before one) outnumber double-quoted ones, else `"`.
 */
export function detectQuote(sample: string, delimiter: string): string {
  const d = delimiter.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const count = (q: string) =>
    sample.match(new RegExp(`(?:^|${d})${q}[^${q}\\n]*${q}(?=${d}|\\r?$)`, "gm"))?.length ?? 0;
  return count("'") > count('"') ? "'" : '"';
}

/**
 * Whether the first record of a CSV file is a header, judged against the types of the records after it: a
 * column whose values are numbers, booleans or dates while the first record holds text there votes for a
 * header, one where the first record fits the column's type votes against. With no typed column to judge by,
 * the first record is a header when its fields are all filled and distinct (as names must be).
 */
export function detectHeader(first: string[], dataTypes: (ColumnType | undefined)[]): boolean {
  let votes = 0;
  first.forEach((field, i) => {
    const type = dataTypes[i];
    if (type === undefined || type === "STRING") return;
    const own = field.trim() === "" ? undefined : typeOfText(field);
    if (own === undefined) votes--;
    else if (widenType(type, own) === type) votes--;
    else votes++;
  });
  if (votes !== 0) return votes > 0;
  const filled = first.map((f) => f.trim()).filter((f) => f !== "");
  return filled.length === first.length && new Set(filled).size === filled.length;
}

/**
 * Streams the records of a CSV file as arrays of strings, the header (if any) first. The encoding, delimiter
 * and quote are detected from the start of the file unless `dialect` gives them; the header is not decided
 * here (see {@link detectHeader}). Stop iterating at any time: the source is destroyed, so only what was read
 * is ever read.
 *
 * @returns the dialect and the records; `bytesRead()` is how far the parser has got (in UTF-8 bytes).
 */
export async function csvRecords(
  source: Readable,
  dialect: Partial<CsvDialect> = {},
): Promise<{ dialect: CsvDialect; records: AsyncIterable<string[]>; bytesRead: () => number }> {
  const raw = await peek(source, SNIFF_BYTES);
  const encoding = dialect.encoding ?? detectEncoding(raw.head, !raw.ended);
  const text = encoding === "utf-8" ? raw.rest : toUtf8(raw.rest, encoding);
  const { head, rest, ended } = encoding === "utf-8" ? raw : await peek(text, SNIFF_BYTES);
  const sample = head.toString("utf8");
  const delimiter = dialect.delimiter ?? detectDelimiter(sample, !ended);
  const quote = dialect.quote ?? detectQuote(sample.replace(/^\uFEFF/, ""), delimiter);
  const parser = parse({
    delimiter,
    quote,
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
  });
  // The callback form destroys every stream of the pipeline when one fails or when iteration stops early.
  pipeline(rest, parser, () => undefined);
  return {
    dialect: { delimiter, quote, encoding, header: dialect.header ?? true },
    records: parser as AsyncIterable<string[]>,
    bytesRead: () => parser.info.bytes,
  };
}

/**
 * Streams the objects of a JSON Lines file. Blank lines are skipped; a line that is not a JSON object fails
 * with its line number.
 */
export async function* jsonlRecords(
  source: Readable,
): AsyncGenerator<{ record: Record<string, unknown>; bytes: number }> {
  let buffered = "";
  let bytes = 0;
  let line = 0;
  const decoder = new TextDecoder("utf-8");
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      buffered += decoder.decode(chunk, { stream: true });
      let start = 0;
      let newline: number;
      while ((newline = buffered.indexOf("\n", start)) >= 0) {
        line++;
        const record = parseJsonLine(buffered.slice(start, newline), line);
        start = newline + 1;
        if (record) yield { record, bytes };
      }
      buffered = buffered.slice(start);
    }
    buffered += decoder.decode();
    const record = parseJsonLine(buffered, line + 1);
    if (record) yield { record, bytes };
  } finally {
    source.destroy();
  }
}

function parseJsonLine(text: string, line: number): Record<string, unknown> | undefined {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    throw new InferError(`line ${line} is not valid JSON`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InferError(`line ${line} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Running type and nullability of one column over the sampled rows. */
class ColumnStats {
  type: ColumnType | undefined;
  nullable = false;

  see(type: ColumnType | undefined): void {
    if (type === undefined) this.nullable = true;
    else this.type = widenType(this.type, type);
  }

  /** This column (seen over one row) followed by `other` (seen over `rows` rows, or absent: all empty). */
  merge(other: ColumnStats | undefined, rows: number): ColumnStats {
    const merged = new ColumnStats();
    merged.type = this.type;
    merged.nullable = this.nullable;
    if (!other) {
      if (rows > 0) merged.nullable = true;
      return merged;
    }
    if (other.type !== undefined) merged.type = widenType(merged.type, other.type);
    merged.nullable ||= other.nullable;
    return merged;
  }

  /** This column, with the rows before it counted as empty. */
  withNulls(): ColumnStats {
    const copy = new ColumnStats();
    copy.type = this.type;
    copy.nullable = true;
    return copy;
  }

  spec(name: string): ColumnSpec {
    // A column with no value in the sample can hold anything; STRING is the only type that cannot be wrong.
    return { name, type: this.type ?? "STRING", nullable: this.nullable || this.type === undefined };
  }
}

/**
 * Infers the columns of a CSV file from its first rows, and how the file is written (encoding, delimiter, quote,
 * whether the first record is a header).
 *
 * @remarks Streams: stops after `maxRows` data rows or `maxBytes` parsed, whichever comes first, and never
 * reads further. A BOM is stripped; quoted fields may hold delimiters, quotes and newlines. A file without a
 * header gets columns `column_1`, `column_2`…
 */
export async function inferCsvSchema(
  source: Readable,
  options: InferOptions & { dialect?: Partial<CsvDialect> } = {},
): Promise<InferredSchema> {
  const maxRows = options.maxRows ?? 1000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const { dialect, records, bytesRead } = await csvRecords(source, options.dialect);
  let first: string[] | undefined;
  let stats: ColumnStats[] = [];
  let rows = 0;
  const see = (record: string[]) => {
    while (stats.length < record.length) {
      const column = new ColumnStats();
      // Rows before this one had no field here.
      if (rows > 0) column.nullable = true;
      stats.push(column);
    }
    stats.forEach((column, i) => {
      const value = record[i];
      column.see(value === undefined || value.trim() === "" ? undefined : typeOfText(value));
    });
  };
  try {
    for await (const record of records) {
      if (!first) {
        first = record;
        continue;
      }
      see(record);
      rows++;
      if (rows >= maxRows || bytesRead() >= maxBytes) break;
    }
  } catch (err) {
    throw new InferError(`the file is not valid CSV: ${(err as Error).message}`);
  }
  if (!first) throw new InferError("the file is empty: a CSV dataset needs at least one record");
  const header =
    options.dialect?.header ??
    (rows === 0 ||
      detectHeader(
        first,
        stats.map((c) => c.type),
      ));
  let names: string[];
  if (header) {
    names = uniqueHeaders(first);
    while (stats.length < names.length) stats.push(new ColumnStats());
  } else {
    // The first record is data: count it in, and name the columns by position.
    const data = stats;
    stats = [];
    const sampled = rows;
    rows = 0;
    see(first);
    stats = stats.map((column, i) => column.merge(data[i], sampled));
    for (let i = stats.length; i < data.length; i++) stats.push(data[i]!.withNulls());
    rows = sampled + 1;
    names = stats.map((_, i) => `column_${i + 1}`);
  }
  if (header && names.length < stats.length) {
    for (let i = names.length; i < stats.length; i++) names.push(`column_${i + 1}`);
    names = uniqueHeaders(names);
  }
  const csv = { ...dialect, header };
  return {
    columns: stats.slice(0, names.length).map((s, i) => s.spec(names[i]!)),
    sampledRows: rows,
    delimiter: dialect.delimiter,
    csv,
  };
}

/**
 * Infers the columns of a JSON Lines file: the union of the keys of its first objects, in order of first
 * appearance, typed like CSV values; a key missing from some objects or `null` in them is nullable.
 */
export async function inferJsonlSchema(source: Readable, options: InferOptions = {}): Promise<InferredSchema> {
  return inferJsonObjectsSchema(jsonlRecords(source), options, "JSONL");
}

/**
 * Infers the columns of a JSON Lines file (`records` defaults to its lines) or of the objects of a JSON array
 * file: the union of the keys of the first objects, in order of first appearance, typed like CSV values; a key
 * missing from some objects or `null` in them is nullable.
 */
export async function inferJsonObjectsSchema(
  records: AsyncIterable<{ record: Record<string, unknown>; bytes: number }>,
  options: InferOptions,
  what: string,
): Promise<InferredSchema> {
  const maxRows = options.maxRows ?? 1000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const stats = new Map<string, ColumnStats>();
  let rows = 0;
  for await (const { record, bytes } of records) {
    for (const key of Object.keys(record)) {
      if (!stats.has(key)) {
        const column = new ColumnStats();
        if (rows > 0) column.nullable = true;
        stats.set(key, column);
      }
    }
    for (const [key, column] of stats) {
      const value = record[key];
      column.see(value === undefined || value === null ? undefined : typeOfJson(value));
    }
    rows++;
    if (rows >= maxRows || bytes >= maxBytes) break;
  }
  if (rows === 0) throw new InferError(`the file is empty: a ${what} dataset needs at least one object`);
  return { columns: [...stats].map(([name, s]) => s.spec(name)), sampledRows: rows };
}

/**
 * Infers the columns of a file in `format` from its start; see {@link inferCsvSchema} and
 * {@link inferJsonlSchema}. JSON array files are read element by element, never whole.
 */
export async function inferSchema(
  source: Readable,
  format: ReadableFormat,
  options: InferOptions & { dialect?: Partial<CsvDialect> } = {},
): Promise<InferredSchema> {
  if (format === "CSV") return inferCsvSchema(source, options);
  if (format === "JSONL") return inferJsonlSchema(source, options);
  return inferJsonObjectsSchema(jsonArrayRecords(await utf8Text(source)), options, "JSON");
}

/** A text stream converted to UTF-8 when its start shows another encoding (a UTF-16 BOM, or not UTF-8). */
export async function utf8Text(source: Readable): Promise<Readable> {
  const { head, rest, ended } = await peek(source, 4096);
  const encoding = detectEncoding(head, !ended);
  return encoding === "utf-8" ? rest : toUtf8(rest, encoding);
}
