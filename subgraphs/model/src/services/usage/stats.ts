/** The fields of a usage record that aggregates read. */
export interface UsageFacts {
  userId?: string | null;
  apiKeyId?: string | null;
  modelId: string;
  modelName: string;
  promptTokens: number;
  completionTokens: number;
  ttftMs?: number | null;
  latencyMs: number;
  status: string;
  cost: number;
  createdAt: Date;
}

/** Totals and timings of a set of calls. Percentiles are null when no call measured them. */
export interface UsageTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  errors: number;
  cancelled: number;
  cost: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyP99Ms: number | null;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
}

export type UsageDimension = "USER" | "MODEL" | "DAY" | "API_KEY";

/** One group of a usage report: the values of its grouping dimensions (null when not grouped by one) and totals. */
export interface UsageGroup extends UsageTotals {
  userId: string | null;
  apiKeyId: string | null;
  modelId: string | null;
  modelName: string | null;
  /** UTC day, `YYYY-MM-DD`. */
  day: string | null;
}

/** The nearest-rank `p`-th percentile (0–100) of ascending `sorted`; null for none. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Sums and percentiles over `rows`. */
export function totals(rows: UsageFacts[]): UsageTotals {
  const latency = rows.map((r) => r.latencyMs).sort((a, b) => a - b);
  const ttft = rows
    .map((r) => r.ttftMs)
    .filter((t): t is number => t != null)
    .sort((a, b) => a - b);
  let promptTokens = 0;
  let completionTokens = 0;
  let errors = 0;
  let cancelled = 0;
  let cost = 0;
  for (const r of rows) {
    promptTokens += r.promptTokens;
    completionTokens += r.completionTokens;
    if (r.status === "error") errors++;
    if (r.status === "cancelled") cancelled++;
    cost += r.cost;
  }
  return {
    requests: rows.length,
    promptTokens,
    completionTokens,
    errors,
    cancelled,
    // Sums of many small floats: round away the binary noise (1e-9 is far below any price's precision).
    cost: Math.round(cost * 1e9) / 1e9,
    latencyP50Ms: percentile(latency, 50),
    latencyP95Ms: percentile(latency, 95),
    latencyP99Ms: percentile(latency, 99),
    ttftP50Ms: percentile(ttft, 50),
    ttftP95Ms: percentile(ttft, 95),
  };
}

/** Groups `rows` by `by` (any of USER, MODEL, DAY, API_KEY; none: one group of everything), ordered by key. */
export function groupUsage(rows: UsageFacts[], by: UsageDimension[]): UsageGroup[] {
  const dims = new Set(by);
  const groups = new Map<string, { key: Omit<UsageGroup, keyof UsageTotals>; rows: UsageFacts[] }>();
  for (const row of rows) {
    const key = {
      userId: dims.has("USER") ? (row.userId ?? null) : null,
      apiKeyId: dims.has("API_KEY") ? (row.apiKeyId ?? null) : null,
      modelId: dims.has("MODEL") ? row.modelId : null,
      modelName: dims.has("MODEL") ? row.modelName : null,
      day: dims.has("DAY") ? row.createdAt.toISOString().slice(0, 10) : null,
    };
    const id = JSON.stringify([key.day, key.userId, key.apiKeyId, key.modelId]);
    let group = groups.get(id);
    if (!group) {
      group = { key, rows: [] };
      groups.set(id, group);
    }
    // A renamed model keeps its id: show the newest name.
    if (key.modelName) group.key.modelName = row.modelName;
    group.rows.push(row);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({ ...g.key, ...totals(g.rows) }));
}
