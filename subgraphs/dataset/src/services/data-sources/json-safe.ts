/**
 * Turns a value a database driver returned into one JSON can carry: bigints become numbers when exact and strings
 * otherwise, dates become ISO 8601, binary becomes base64, and nested arrays and objects are converted throughout.
 */
export function jsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "bigint":
      return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    case "number":
      // NaN and the infinities have no JSON form; their names say more than null would.
      return Number.isFinite(value) ? value : String(value);
    case "object":
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString("base64");
      if (Array.isArray(value)) return value.map(jsonSafe);
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
    default:
      return value;
  }
}
