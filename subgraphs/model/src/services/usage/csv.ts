import type { UsageDimension, UsageGroup } from "./stats.js";

const KEY_COLUMNS: Record<UsageDimension, (keyof UsageGroup)[]> = {
  DAY: ["day"],
  USER: ["userId"],
  API_KEY: ["apiKeyId"],
  MODEL: ["modelId", "modelName"],
};
const VALUE_COLUMNS: (keyof UsageGroup)[] = [
  "requests",
  "promptTokens",
  "completionTokens",
  "errors",
  "cancelled",
  "cost",
  "latencyP50Ms",
  "latencyP95Ms",
  "latencyP99Ms",
  "ttftP50Ms",
  "ttftP95Ms",
];
const ORDER: UsageDimension[] = ["DAY", "USER", "API_KEY", "MODEL"];

/** A usage report as CSV (RFC 4180, CRLF): the grouping columns, then the totals; empty cells for nulls. */
export function usageCsv(groups: UsageGroup[], groupBy: UsageDimension[]): string {
  const columns = [...ORDER.filter((d) => groupBy.includes(d)).flatMap((d) => KEY_COLUMNS[d]), ...VALUE_COLUMNS];
  const lines = [columns.join(",")];
  for (const group of groups) lines.push(columns.map((c) => cell(group[c])).join(","));
  return lines.join("\r\n") + "\r\n";
}

function cell(value: string | number | null): string {
  if (value == null) return "";
  const text = String(value);
  // Quote what would break the row, and neutralise leading formula characters for spreadsheet programs.
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value === "string" ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
