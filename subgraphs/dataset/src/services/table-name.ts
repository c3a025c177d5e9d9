/**
 * The name by which SQL refers to a dataset, derived from its display name.
 *
 * @remarks Lowercase ASCII letters, digits and `_` only, starting with a letter, so it is a valid unquoted
 * identifier in SQLite, PostgreSQL, MySQL and DuckDB alike. Runs of other characters become one `_`.
 * @example tableNameOf("Sales 2024.csv") === "sales_2024_csv"
 */
export function tableNameOf(name: string): string {
  const base = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (base === "") return "dataset";
  // Identifiers may not start with a digit; a prefix keeps the rest of the name readable.
  return /^[a-z]/.test(base) ? base.slice(0, 63) : `t_${base}`.slice(0, 63);
}
