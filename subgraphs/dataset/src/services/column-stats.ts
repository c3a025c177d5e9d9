import type { ColumnSpec } from "./infer-schema.js";

/** Distinct values counted exactly per column before further new values stop being tracked for `topValues`. */
const TRACKED_VALUES = 10_000;
const TOP_VALUES = 10;

/** 32-bit FNV-1a of a string followed by a murmur3 finaliser, so nearby strings spread over all bits. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A HyperLogLog distinct counter with 2^12 registers (about 1.6% standard error, 4 KiB), with the small-range
 * correction so that small counts are exact or nearly so.
 */
export class HyperLogLog {
  private static readonly P = 12;
  private readonly registers = new Uint8Array(1 << HyperLogLog.P);

  add(value: string): void {
    const h = hash32(value);
    const index = h >>> (32 - HyperLogLog.P);
    const rest = (h << HyperLogLog.P) >>> 0;
    const rank = rest === 0 ? 32 - HyperLogLog.P + 1 : Math.clz32(rest) + 1;
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  estimate(): number {
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (const r of this.registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
    return Math.round(raw);
  }
}

export interface ColumnStatsResult {
  name: string;
  nullCount: number;
  distinctEstimate: number;
  min: unknown;
  max: unknown;
  topValues: { value: unknown; count: number }[];
}

/** Running statistics of one column: nulls, distinct estimate, min, max and the most frequent values. */
class ColumnAccumulator {
  nullCount = 0;
  private readonly hll = new HyperLogLog();
  private min: unknown = null;
  private max: unknown = null;
  private readonly counts = new Map<string, { value: unknown; count: number }>();

  constructor(private readonly spec: ColumnSpec) {}

  add(value: unknown): void {
    if (value === null || value === undefined || value === "") {
      this.nullCount++;
      return;
    }
    const key = typeof value === "object" ? JSON.stringify(value) : String(value);
    this.hll.add(key);
    const comparable = typeof value === "object" ? key : value;
    if (this.min === null || compare(comparable, this.min) < 0) this.min = comparable;
    if (this.max === null || compare(comparable, this.max) > 0) this.max = comparable;
    const seen = this.counts.get(key);
    if (seen) seen.count++;
    // Past the cap only values already tracked are counted: frequent values show up early in all but
    // adversarial orders, and memory stays bounded for columns of unique ids.
    else if (this.counts.size < TRACKED_VALUES) this.counts.set(key, { value: comparable, count: 1 });
  }

  result(): ColumnStatsResult {
    const top = [...this.counts.values()]
      .filter((v) => v.count > 1 || this.counts.size <= TOP_VALUES)
      .sort((a, b) => b.count - a.count || compare(a.value, b.value))
      .slice(0, TOP_VALUES);
    return {
      name: this.spec.name,
      nullCount: this.nullCount,
      distinctEstimate: this.hll.estimate(),
      min: this.min,
      max: this.max,
      topValues: top,
    };
  }
}

/** Numbers compare as numbers, everything else as text (ISO dates and timestamps sort correctly as text). */
function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Statistics of every column over a stream of rows, in bounded memory. */
export class StatsAccumulator {
  rows = 0;
  private readonly columns: ColumnAccumulator[];

  constructor(private readonly specs: ColumnSpec[]) {
    this.columns = specs.map((c) => new ColumnAccumulator(c));
  }

  add(row: Record<string, unknown>): void {
    this.rows++;
    this.specs.forEach((spec, i) => this.columns[i]!.add(row[spec.name]));
  }

  result(): ColumnStatsResult[] {
    return this.columns.map((c) => c.result());
  }
}
