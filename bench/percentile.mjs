// The benchmarks' one percentile: nearest rank, so a reported p99 is a sample that was really measured.

/** The `p`th percentile (0–100) of `values` by nearest rank; NaN when there are none. */
export function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
