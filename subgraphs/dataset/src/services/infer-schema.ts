import { Readable } from "node:stream";
import { pipeline } from "node:stream";
import { parse, type Options as CsvOptions } from "csv-parse";

/** The column types a dataset's schema uses; SQL over datasets maps them to its own types. */
export const COLUMN_TYPES = ["INTEGER", "FLOAT", "BOOLEAN", "DATE", "TIMESTAMP", "STRING"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** One column of a dataset, as stored in `Dataset.columns`. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

/** The file formats inference reads. */
export type ReadableFormat = "CSV" | "JSONL";

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

/** How many bytes of the start of a CSV file delimiter detection looks at. */
const SNIFF_BYTES = 64 * 1024;

/**
 * Streams the records of a CSV file as arrays of strings, the header first. Stop iterating at any time: the
 * source is destroyed, so only what was read is ever read.
 *
 * @returns the detected delimiter and the records; `bytesRead()` is how far the parser has got.
 */
export async function csvRecords(
  source: Readable,
  options: CsvOptions = {},
): Promise<{ delimiter: string; records: AsyncIterable<string[]>; bytesRead: () => number }> {
  const { head, rest, ended } = await peek(source, SNIFF_BYTES);
  const delimiter = detectDelimiter(head.toString("utf8"), !ended);
  const parser = parse({
    delimiter,
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    ...options,
  });
  // The callback form destroys every stream of the pipeline when one fails or when iteration stops early.
  pipeline(rest, parser, () => undefined);
  return { delimiter, records: parser as AsyncIterable<string[]>, bytesRead: () => parser.info.bytes };
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

/** The data cannot be read as the format says; the message says where and why. */
export class InferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InferError";
  }
}

/** Running type and nullability of one column over the sampled rows. */
class ColumnStats {
  type: ColumnType | undefined;
  nullable = false;

  see(type: ColumnType | undefined): void {
    if (type === undefined) this.nullable = true;
    else this.type = widenType(this.type, type);
  }

  spec(name: string): ColumnSpec {
    // A column with no value in the sample can hold anything; STRING is the only type that cannot be wrong.
    return { name, type: this.type ?? "STRING", nullable: this.nullable || this.type === undefined };
  }
}

/**
 * Infers the columns of a CSV file from its header row and first rows.
 *
 * @remarks Streams: stops after `maxRows` data rows or `maxBytes` parsed, whichever comes first, and never
 * reads further. The delimiter is detected; a UTF-8 BOM is stripped; quoted fields may hold delimiters,
 * quotes and newlines.
 */
export async function inferCsvSchema(source: Readable, options: InferOptions = {}): Promise<InferredSchema> {
  const maxRows = options.maxRows ?? 1000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const { delimiter, records, bytesRead } = await csvRecords(source);
  let names: string[] | undefined;
  let stats: ColumnStats[] = [];
  let rows = 0;
  try {
    for await (const record of records) {
      if (!names) {
        names = uniqueHeaders(record);
        stats = names.map(() => new ColumnStats());
        continue;
      }
      rows++;
      stats.forEach((column, i) => {
        const value = record[i];
        column.see(value === undefined || value.trim() === "" ? undefined : typeOfText(value));
      });
      if (rows >= maxRows || bytesRead() >= maxBytes) break;
    }
  } catch (err) {
    throw new InferError(`the file is not valid CSV: ${(err as Error).message}`);
  }
  if (!names) throw new InferError("the file is empty: a CSV dataset needs a header row");
  return { columns: stats.map((s, i) => s.spec(names[i]!)), sampledRows: rows, delimiter };
}

/**
 * Infers the columns of a JSON Lines file: the union of the keys of its first objects, in order of first
 * appearance, typed like CSV values; a key missing from some objects or `null` in them is nullable.
 */
export async function inferJsonlSchema(source: Readable, options: InferOptions = {}): Promise<InferredSchema> {
  const maxRows = options.maxRows ?? 1000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const stats = new Map<string, ColumnStats>();
  let rows = 0;
  for await (const { record, bytes } of jsonlRecords(source)) {
    for (const key of Object.keys(record)) {
      if (!stats.has(key)) {
        const column = new ColumnStats();
        // Rows before this one did not have the key.
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
  if (rows === 0) throw new InferError("the file is empty: a JSONL dataset needs at least one object");
  return { columns: [...stats].map(([name, s]) => s.spec(name)), sampledRows: rows };
}

/** Infers the columns of a file in `format` from its start; see {@link inferCsvSchema} and {@link inferJsonlSchema}. */
export function inferSchema(source: Readable, format: ReadableFormat, options?: InferOptions): Promise<InferredSchema> {
  return format === "CSV" ? inferCsvSchema(source, options) : inferJsonlSchema(source, options);
}
