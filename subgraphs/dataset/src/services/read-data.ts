import type { Readable } from "node:stream";
import {
  csvRecords,
  InferError,
  jsonlRecords,
  typeOfText,
  type ColumnSpec,
  type ColumnType,
  type ReadableFormat,
} from "./infer-schema.js";

/** A row of a dataset: column name → value typed by the column's type (`null` when empty). */
export type Row = Record<string, unknown>;

/**
 * Converts one CSV field to its column's type: numbers for INTEGER and FLOAT, booleans for BOOLEAN, ISO text for
 * DATE and TIMESTAMP (JSON has no date type), `null` for an empty field.
 *
 * @remarks A value that does not fit (the schema was inferred from the first rows only, or given by hand) is
 * returned as the text it is rather than guessed at. Integers beyond 2^53 stay text so no digit is lost.
 */
export function typedValue(text: string | undefined, type: ColumnType): unknown {
  if (text === undefined || text.trim() === "") return null;
  const v = text.trim();
  switch (type) {
    case "INTEGER": {
      if (typeOfText(v) !== "INTEGER") return text;
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v;
    }
    case "FLOAT": {
      const t = typeOfText(v);
      return t === "INTEGER" || t === "FLOAT" ? Number(v) : text;
    }
    case "BOOLEAN": {
      const lower = v.toLowerCase();
      return lower === "true" ? true : lower === "false" ? false : text;
    }
    case "DATE":
    case "TIMESTAMP":
      return v;
    case "STRING":
      return text;
  }
}

/**
 * Reads the first `limit` rows of a file, typed by `columns`. Stops reading as soon as it has them, so the size
 * of the file does not matter.
 *
 * @remarks CSV fields are matched to columns by position (the header row is skipped); JSONL values by key, and
 * kept as they are in the file.
 */
export async function readRows(
  source: Readable,
  format: ReadableFormat,
  columns: ColumnSpec[],
  limit: number,
): Promise<Row[]> {
  const rows: Row[] = [];
  if (limit <= 0) {
    source.destroy();
    return rows;
  }
  if (format === "JSONL") {
    for await (const { record } of jsonlRecords(source)) {
      rows.push(Object.fromEntries(columns.map((c) => [c.name, record[c.name] ?? null])));
      if (rows.length >= limit) break;
    }
    return rows;
  }
  const { records } = await csvRecords(source);
  let header = true;
  try {
    for await (const record of records) {
      if (header) {
        header = false;
        continue;
      }
      rows.push(Object.fromEntries(columns.map((c, i) => [c.name, typedValue(record[i], c.type)])));
      if (rows.length >= limit) break;
    }
  } catch (err) {
    throw new InferError(`the file is not valid CSV: ${(err as Error).message}`);
  }
  return rows;
}

/**
 * Counts the data rows of a file by streaming all of it once, without parsing fields.
 *
 * @remarks For CSV, newlines inside quoted fields do not end a record, blank lines are not records, and the
 * header row is not counted. About 10× faster than a full parse, which matters for files of tens of megabytes.
 */
export async function countRows(source: Readable, format: ReadableFormat): Promise<number> {
  const quotes = format === "CSV";
  let records = 0;
  let inQuote = false;
  let content = false;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 0x22 && quotes) {
        inQuote = !inQuote;
        content = true;
      } else if (byte === 0x0a && !inQuote) {
        if (content) records++;
        content = false;
      } else if (byte !== 0x0d) {
        // Only empty lines are skipped, as the parser does (`skip_empty_lines`); `\r` of a CRLF is not content.
        content = true;
      }
    }
  }
  if (content) records++;
  return quotes ? Math.max(0, records - 1) : records;
}
