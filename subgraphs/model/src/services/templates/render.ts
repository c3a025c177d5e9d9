import { badInput } from "@ods/kit";

// `{{name}}` with optional spaces inside the braces; names are identifiers, optionally dotted ("user.name").
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;

/** A variable name a template may use: letters, digits and `_`, not starting with a digit; dots separate parts. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The variables `template` uses, each once, in the order they first appear. */
export function placeholders(template: string): string[] {
  const seen = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) seen.add(match[1]!);
  return [...seen];
}

/**
 * Fills the `{{variable}}` placeholders of `template` with `values` in one pass, so a value that itself contains
 * `{{…}}` is inserted as text and never expanded. Strings are inserted as they are, other values as JSON.
 *
 * @throws BAD_USER_INPUT naming every variable the template uses that `values` lacks, or every value given for
 * a variable the template does not declare (a typo would otherwise be dropped silently).
 */
export function renderTemplate(template: string, declared: readonly string[], values: Record<string, unknown>): string {
  const used = placeholders(template);
  const missing = used.filter((name) => values[name] === undefined || values[name] === null);
  if (missing.length > 0) {
    const list = missing.join(", ");
    throw badInput(
      `Missing template variable${missing.length > 1 ? "s" : ""}: ${list}`,
      Object.fromEntries(missing.map((name) => [`variables.${name}`, "is required by the template"])),
    );
  }
  const known = new Set([...declared, ...used]);
  const unknown = Object.keys(values).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw badInput(
      `Unknown template variable${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")} (the template uses: ${
        [...known].join(", ") || "none"
      })`,
      Object.fromEntries(unknown.map((name) => [`variables.${name}`, "is not a variable of the template"])),
    );
  }
  return template.replace(PLACEHOLDER, (_all, name: string) => {
    const value = values[name];
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}
