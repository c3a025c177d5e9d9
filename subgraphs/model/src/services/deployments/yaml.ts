/** A value that YAML (and JSON) can hold. */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

// Words YAML 1.1 parsers (which Kubernetes tooling still uses) read as booleans or null when left unquoted.
const RESERVED = /^(?:y|n|yes|no|on|off|true|false|null|~)$/i;
// Conservative plain scalars: start with a letter, then characters that never start a YAML construct.
const PLAIN = /^[A-Za-z][A-Za-z0-9_./@+-]*(?::[A-Za-z0-9_./@+-]+)*$/;

/**
 * Serializes one value as a YAML block document. Strings are plain only when they cannot be read as anything
 * else; every other string is written as a double-quoted scalar, whose escapes are a superset of JSON's, so
 * `JSON.stringify` writes it correctly (newlines, quotes, control characters, any Unicode).
 */
export function toYaml(value: YamlValue): string {
  return lines(value, 0).join("\n") + "\n";
}

/** Serializes several values as one multi-document YAML stream (`---` between documents). */
export function toYamlDocuments(values: YamlValue[]): string {
  return values.map(toYaml).join("---\n");
}

function scalar(value: string | number | boolean | null): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`YAML cannot hold the number ${value}`);
    return String(value);
  }
  return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
}

function key(name: string): string {
  return scalar(name);
}

function inline(value: YamlValue): string | null {
  if (Array.isArray(value)) return value.length === 0 ? "[]" : null;
  if (typeof value === "object" && value !== null) return Object.keys(value).length === 0 ? "{}" : null;
  return scalar(value);
}

function lines(value: YamlValue, indent: number): string[] {
  const pad = " ".repeat(indent);
  const single = inline(value);
  if (single !== null) return [pad + single];
  const out: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      const itemInline = inline(item);
      if (itemInline !== null) {
        out.push(`${pad}- ${itemInline}`);
      } else {
        // A nested block starts on the dash's line: "- key: value" / "- - item".
        const nested = lines(item, indent + 2);
        out.push(`${pad}- ${nested[0]!.slice(indent + 2)}`, ...nested.slice(1));
      }
    }
    return out;
  }
  for (const [name, item] of Object.entries(value as Record<string, YamlValue>)) {
    const itemInline = inline(item);
    if (itemInline !== null) {
      out.push(`${pad}${key(name)}: ${itemInline}`);
    } else if (Array.isArray(item)) {
      // Sequences under a key sit at the key's indentation, as kubectl writes them.
      out.push(`${pad}${key(name)}:`, ...lines(item, indent));
    } else {
      out.push(`${pad}${key(name)}:`, ...lines(item, indent + 2));
    }
  }
  return out;
}
