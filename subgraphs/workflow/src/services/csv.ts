/**
 * Rows as CSV (RFC 4180) with a header line: the most compact table a model reads reliably. `null` is an empty
 * field; objects and arrays are written as JSON.
 */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const field = (value: unknown): string => {
    const text =
      value === null || value === undefined
        ? ""
        : typeof value === "string"
          ? value
          : typeof value === "object"
            ? JSON.stringify(value)
            : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  if (columns.length === 0) return "";
  return [columns, ...rows.map((row) => columns.map((c) => row[c]))].map((r) => r.map(field).join(",")).join("\n");
}
