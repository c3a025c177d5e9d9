const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** How one value reads in a rendered row: text as is, objects as JSON, nothing for null and missing values. */
function show(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** `row[name]`, or, when there is no such column, the dotted path into nested objects ("address.city"). */
function lookup(row: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(row, name)) return row[name];
  let value: unknown = row;
  for (const part of name.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * Fills `{{column}}` placeholders with a row's values, turning a table row into text to embed and search.
 *
 * @remarks
 * Whitespace inside the braces is ignored (`{{ name }}`). A missing column or a null value renders as nothing,
 * objects and arrays as JSON, dates as ISO 8601. Column names may contain spaces; a name not found as a column is
 * tried as a dotted path into nested objects.
 * @example
 * renderTemplate("{{ name }} costs {{price}}", { name: "Lamp", price: 12 }) // "Lamp costs 12"
 */
export function renderTemplate(template: string, row: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => show(lookup(row, name)));
}

/**
 * The template used when a user gives none: one `column: {{column}}` line per column.
 *
 * @example
 * defaultRowTemplate(["name", "price"]) // "name: {{name}}\nprice: {{price}}"
 */
export function defaultRowTemplate(columns: string[]): string {
  return columns.map((c) => `${c}: {{${c}}}`).join("\n");
}
