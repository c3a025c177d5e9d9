/**
 * Prompt and value templates: `{{input.<name>}}` reads the run's inputs, `{{<nodeId>.<field>}}` reads what an
 * upstream node produced (`<field>` may be a dotted path, e.g. `{{llm.usage.completionTokens}}`).
 */

const PLACEHOLDER = /\{\{\s*([A-Za-z][\w-]*)\.([A-Za-z0-9_][\w-]*(?:\.[A-Za-z0-9_][\w-]*)*)\s*\}\}/g;

/** The namespace that names the run's inputs rather than a node. */
export const INPUT_SCOPE = "input";

export interface Placeholder {
  /** The whole placeholder as written, e.g. `{{ llm.text }}`. */
  raw: string;
  /** `input`, or the id of the node whose output is read. */
  source: string;
  /** The field path inside that output. */
  path: string[];
}

/** Raised when a placeholder names something the run does not have; the message says which one. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

/** Every placeholder in `template`, in order of appearance. */
export function placeholders(template: string): Placeholder[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => ({ raw: m[0], source: m[1]!, path: m[2]!.split(".") }));
}

/**
 * Replaces every placeholder with its value: strings as they are, `null` as nothing, anything else as JSON.
 *
 * @param scope - `input` holds the run's inputs; every other key is a node id holding that node's output.
 * @throws TemplateError when a placeholder names an input, node or field that has no value.
 */
export function renderTemplate(template: string, scope: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (raw: string, source: string, dotted: string) => {
    if (!(source in scope)) {
      throw new TemplateError(
        source === INPUT_SCOPE ? `${raw}: the run has no inputs` : `${raw}: node "${source}" has not produced output`,
      );
    }
    let value: unknown = scope[source];
    for (const key of dotted.split(".")) {
      if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) {
        throw new TemplateError(
          source === INPUT_SCOPE
            ? `${raw}: the run has no input "${dotted}"`
            : `${raw}: the output of node "${source}" has no field "${dotted}"`,
        );
      }
      value = (value as Record<string, unknown>)[key];
    }
    return formatValue(value);
  });
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/**
 * Renders every string inside `value` (object values and array items too, at any depth) with
 * {@link renderTemplate}; anything else is kept as it is.
 *
 * @throws TemplateError as {@link renderTemplate} does.
 */
export function renderStrings(value: unknown, scope: Record<string, unknown>): unknown {
  if (typeof value === "string") return renderTemplate(value, scope);
  if (Array.isArray(value)) return value.map((item) => renderStrings(item, scope));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderStrings(v, scope)]));
  }
  return value;
}

/** Every string inside `value` (object values and array items too, at any depth). */
export function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}
