import type { CatalogTableInfo, SqlDialect } from "../sql/types.js";

/** Tables put in a prompt when the schema has more; the rest are ranked out. */
export const MAX_PROMPT_TABLES = 8;
/** Columns listed per table; wide tables keep their first ones. */
const MAX_PROMPT_COLUMNS = 80;
/** Longest sample value shown, in characters. */
const MAX_SAMPLE_CHARS = 60;

const DIALECT_NAMES: Record<SqlDialect, string> = {
  postgresql: "PostgreSQL",
  mysql: "MySQL/MariaDB",
  sqlite: "SQLite",
  duckdb: "DuckDB (PostgreSQL-like)",
};

/** Splits a name or a text into lower-case search terms: words, parts of snake_case and camelCase, CJK bigrams. */
export function terms(text: string): string[] {
  const out = new Set<string>();
  const spaced = text.replace(/([a-z0-9])([A-Z])/g, "$1 $2");
  for (const word of spaced.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    out.add(word);
    // A plural in the question still finds a singular table name, and the other way round.
    if (word.length > 3 && word.endsWith("s")) out.add(word.slice(0, -1));
  }
  // Chinese and Japanese have no spaces: overlapping pairs of characters are the usual stand-in for words.
  for (const run of text.match(/[\u3400-\u9fff\uf900-\ufaff]+/g) ?? []) {
    if (run.length === 1) out.add(run);
    for (let i = 0; i + 1 < run.length; i++) out.add(run.slice(i, i + 2));
  }
  return [...out];
}

/**
 * Scores how well a table matches a question: its name counts most, then column names, then comments.
 *
 * @remarks A term matches when it equals one of the table's terms; CJK terms also match inside comments, which
 * is where a Chinese schema names its tables and columns.
 */
export function scoreTable(table: CatalogTableInfo, questionTerms: string[], question: string): number {
  const nameTerms = new Set(terms(table.name));
  const columnTerms = new Set(table.columns.flatMap((c) => terms(c.name)));
  const commentText = [table.comment ?? "", ...table.columns.map((c) => c.comment ?? "")].join(" ");
  const commentTerms = new Set(terms(commentText));
  let score = question.toLowerCase().includes(table.name.toLowerCase()) ? 10 : 0;
  for (const term of questionTerms) {
    if (nameTerms.has(term)) score += 5;
    if (columnTerms.has(term)) score += 2;
    if (commentTerms.has(term)) score += 1;
  }
  return score;
}

/**
 * The tables worth showing the model: all of them when there are at most `max`, else the `max` best scored
 * (ties keep catalog order, so the choice is stable).
 */
export function rankTables(tables: CatalogTableInfo[], question: string, max = MAX_PROMPT_TABLES): CatalogTableInfo[] {
  if (tables.length <= max) return tables;
  const questionTerms = terms(question);
  return tables
    .map((table, index) => ({ table, index, score: scoreTable(table, questionTerms, question) }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, max)
    .map((r) => r.table);
}

function sampleValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > MAX_SAMPLE_CHARS ? `${text.slice(0, MAX_SAMPLE_CHARS)}…` : text;
}

/** The chat messages asking a model for one query in `dialect` over `tables`. */
export function buildPrompt(input: {
  question: string;
  dialect: SqlDialect;
  tables: CatalogTableInfo[];
  samples: Map<string, Record<string, unknown>[]>;
}): { role: "system" | "user"; content: string }[] {
  const dialect = DIALECT_NAMES[input.dialect];
  const schema = input.tables
    .map((table) => {
      const name = table.schema ? `${table.schema}.${table.name}` : table.name;
      const columns = table.columns.slice(0, MAX_PROMPT_COLUMNS).map((c) => {
        const notes = [
          c.primaryKey ? "primary key" : "",
          c.foreignKey ? `references ${c.foreignKey.table}(${c.foreignKey.column})` : "",
          c.nullable ? "" : "not null",
          c.comment ?? "",
        ].filter(Boolean);
        return `  ${c.name} ${c.type}${notes.length ? ` -- ${notes.join("; ")}` : ""}`;
      });
      const header = `TABLE ${name}${table.comment ? ` -- ${table.comment}` : ""}${
        table.rowCount != null ? ` (about ${table.rowCount} rows)` : ""
      }`;
      const rows = (input.samples.get(table.name) ?? []).map(
        (row) =>
          `  ${Object.entries(row)
            .map(([k, v]) => `${k}=${sampleValue(v)}`)
            .join(", ")}`,
      );
      return [header, ...columns, ...(rows.length ? ["  sample rows:", ...rows.map((r) => `  ${r}`)] : [])].join("\n");
    })
    .join("\n\n");
  return [
    {
      role: "system",
      content:
        `You translate questions about data into exactly one read-only ${dialect} SELECT statement. ` +
        "Use only the tables and columns listed; quote identifiers that need it. Never write INSERT, UPDATE, " +
        "DELETE, DDL, or more than one statement. Answer with the query in a single ```sql fenced block, then one " +
        "or two sentences explaining it, in the language of the question.",
    },
    { role: "user", content: `Dialect: ${dialect}\n\nSchema:\n${schema}\n\nQuestion: ${input.question}` },
  ];
}

/**
 * Splits a model's answer into the SQL (the first fenced block, preferring one marked `sql`) and the
 * explanation (the text around it). An answer that is only a bare SELECT/WITH statement is taken as SQL.
 *
 * @returns undefined when the answer holds no SQL.
 */
export function parseAnswer(answer: string): { sql: string; explanation: string } | undefined {
  const fences = [...answer.matchAll(/```([A-Za-z]*)[ \t]*\r?\n?([\s\S]*?)```/g)];
  const fence = fences.find((f) => f[1]!.toLowerCase() === "sql") ?? fences[0];
  if (fence) {
    const sql = fence[2]!.trim();
    if (!sql) return undefined;
    const explanation = (answer.slice(0, fence.index) + answer.slice(fence.index! + fence[0].length))
      .replace(/\s+/g, " ")
      .trim();
    return { sql, explanation };
  }
  const bare = answer.trim();
  if (/^(select|with)\b/i.test(bare)) return { sql: bare, explanation: "" };
  return undefined;
}
