import { badInput } from "@ods/kit";
import nodeSqlParser from "node-sql-parser";
import type { SqlDialect } from "./types.js";

/** A statement that passed {@link checkReadOnlySql}. */
export interface CheckedSql {
  /** The statement without trailing semicolons and trailing comments, ready to run as it is. */
  sql: string;
  /** The tables (and views) it reads, as written (`schema.table` when qualified), CTE names left out. */
  tables: string[];
}

/** Longest statement accepted; a prompt-built query is far shorter, and the parser is slow on megabytes. */
export const MAX_SQL_LENGTH = 100_000;

/**
 * Functions that read or write files, reach the network, run SQL given as text, change settings or touch other
 * sessions. Matched case-insensitively on the last part of a (possibly schema-qualified) name, in every dialect:
 * a name that is harmless in one dialect is never needed in another.
 */
const BLOCKED_FUNCTIONS = new Set([
  // DuckDB: files, other databases, SQL given as text.
  "glob",
  "sniff_csv",
  "parquet_scan",
  "parquet_metadata",
  "parquet_schema",
  "parquet_file_metadata",
  "parquet_kv_metadata",
  "st_read",
  "iceberg_scan",
  "iceberg_metadata",
  "iceberg_snapshots",
  "delta_scan",
  "sqlite_scan",
  "sqlite_attach",
  "postgres_scan",
  "postgres_attach",
  "postgres_query",
  "postgres_execute",
  "mysql_query",
  "mysql_scan",
  "mysql_execute",
  "query",
  "query_table",
  "getenv",
  "load_aws_credentials",
  // PostgreSQL: server files, large objects, SQL given as text, settings, other backends.
  "pg_read_file",
  "pg_read_binary_file",
  "pg_ls_dir",
  "pg_ls_logdir",
  "pg_ls_waldir",
  "pg_ls_tmpdir",
  "pg_ls_archive_statusdir",
  "pg_stat_file",
  "pg_file_write",
  "pg_file_rename",
  "pg_file_unlink",
  "pg_logdir_ls",
  "lo_import",
  "lo_export",
  "lo_get",
  "lo_put",
  "lo_create",
  "lo_creat",
  "lo_unlink",
  "lo_open",
  "lo_from_bytea",
  "query_to_xml",
  "query_to_xmlschema",
  "query_to_xml_and_xmlschema",
  "cursor_to_xml",
  "cursor_to_xmlschema",
  "set_config",
  "nextval",
  "setval",
  "pg_terminate_backend",
  "pg_cancel_backend",
  "pg_reload_conf",
  "pg_rotate_logfile",
  "pg_promote",
  "pg_switch_wal",
  "pg_create_restore_point",
  "pg_logical_emit_message",
  // MySQL/MariaDB: server files, user-defined command execution, locks held past the statement.
  "load_file",
  "sys_exec",
  "sys_eval",
  "get_lock",
  "release_lock",
  "release_all_locks",
  "master_pos_wait",
  "source_pos_wait",
  // SQLite: extensions and the fileio functions of the CLI.
  "load_extension",
  "readfile",
  "writefile",
  "edit",
  "fsdir",
  "fts3_tokenizer",
  "zipfile",
]);

/** Families of blocked functions, by prefix: DuckDB's `read_*` readers, dblink, advisory locks, replication. */
const BLOCKED_PREFIXES = ["read_", "dblink", "pg_advisory", "pg_try_advisory", "pg_create_", "pg_drop_", "httpfs"];

/**
 * Words that only appear in statements that change something (outside string literals and quoted identifiers).
 * A lone DDL statement is already refused by its first word; these matter inside a SELECT: PostgreSQL's
 * data-modifying CTEs (`WITH d AS (DELETE … RETURNING *) SELECT …`), `FOR UPDATE`, and `INTO`, which covers
 * `SELECT … INTO table`, `INTO OUTFILE/DUMPFILE` and `INSERT INTO`. Words such as COPY or LOAD are left out
 * on purpose: they cannot act in the middle of a SELECT and are common column names.
 */
const BLOCKED_WORDS = new Set([
  "into",
  "insert",
  "update",
  "delete",
  "merge",
  "create",
  "drop",
  "alter",
  "truncate",
  "grant",
  "revoke",
  "outfile",
  "dumpfile",
]);

/** MySQL's INSERT(str, pos, len, new) is a string function; the statement is always followed by INTO. */
const WORDS_ALLOWED_AS_FUNCTIONS = new Set(["insert"]);

function refuse(reason: string): never {
  throw badInput(`The SQL was refused: ${reason}. Only a single read-only SELECT (or WITH … SELECT) is allowed.`, {
    sql: reason,
  });
}

function isBlockedFunction(name: string): boolean {
  const n = name.toLowerCase();
  return BLOCKED_FUNCTIONS.has(n) || BLOCKED_PREFIXES.some((p) => n.startsWith(p));
}

interface Token {
  /** A bare word (keyword or unquoted identifier), lower-cased, or a single punctuation character. */
  text: string;
  word: boolean;
  start: number;
  end: number;
}

/**
 * Splits SQL into the tokens the database would see outside string literals, quoted identifiers and comments,
 * following each dialect's quoting rules.
 *
 * @remarks This, not the parser, decides where statements end: node-sql-parser reads `'a\'` as an unfinished
 * string in PostgreSQL, where the server sees a complete one, so `select 'a\'; delete from t; --'` would pass as
 * one statement if the parser were trusted with it. The lexer follows the server: backslash escapes only in
 * MySQL strings and PostgreSQL/DuckDB `E'…'` strings, `--` comments in MySQL only when followed by a space,
 * nested block comments in PostgreSQL and DuckDB, dollar quoting, and MySQL's executable `/*! … *\/` comments
 * (refused, since MySQL runs what they hold).
 */
export function tokenizeSql(sql: string, dialect: SqlDialect): Token[] {
  const tokens: Token[] = [];
  const mysql = dialect === "mysql";
  const pgLike = dialect === "postgresql" || dialect === "duckdb";
  let i = 0;
  const n = sql.length;
  const skipQuoted = (quote: string, backslash: boolean): void => {
    const open = i;
    i++;
    while (i < n) {
      const c = sql[i]!;
      if (backslash && c === "\\") {
        i += 2;
        continue;
      }
      if (c === quote) {
        if (sql[i + 1] === quote) {
          i += 2;
          continue;
        }
        i++;
        return;
      }
      i++;
    }
    refuse(`a quoted text starting at character ${open + 1} is never closed`);
  };
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "-" && next === "-" && (!mysql || i + 2 >= n || sql.charCodeAt(i + 2) <= 0x20)) {
      while (i < n && sql[i] !== "\n") i++;
    } else if (c === "#" && mysql) {
      while (i < n && sql[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      if (mysql && (sql[i + 2] === "!" || sql[i + 2] === "+")) {
        refuse("MySQL executable comments (/*! … */) and optimizer hints are not allowed");
      }
      const open = i;
      let depth = 0;
      while (i < n) {
        if (sql[i] === "/" && sql[i + 1] === "*") {
          depth = pgLike || depth === 0 ? depth + 1 : depth;
          i += 2;
        } else if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
      if (depth !== 0) refuse(`the comment starting at character ${open + 1} is never closed`);
    } else if (c === "'") {
      const prev = sql[i - 1];
      const escapeString =
        pgLike && (prev === "e" || prev === "E") && !/[\w$]/.test(sql[i - 2] ?? "") && tokens.at(-1)?.end === i;
      if (escapeString) tokens.pop();
      const start = i;
      skipQuoted("'", mysql || escapeString);
      tokens.push({ text: "'", word: false, start, end: i });
    } else if (c === '"') {
      const start = i;
      skipQuoted('"', mysql);
      tokens.push({ text: '"', word: false, start, end: i });
    } else if (c === "`" && (mysql || dialect === "sqlite")) {
      const start = i;
      skipQuoted("`", false);
      tokens.push({ text: "`", word: false, start, end: i });
    } else if (c === "[" && dialect === "sqlite") {
      const start = i;
      const close = sql.indexOf("]", i + 1);
      if (close < 0) refuse(`the bracketed name starting at character ${i + 1} is never closed`);
      i = close + 1;
      tokens.push({ text: "[", word: false, start, end: i });
    } else if (c === "$" && pgLike && /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64))![0];
      const close = sql.indexOf(tag, i + tag.length);
      if (close < 0) refuse(`the dollar-quoted text starting at character ${i + 1} is never closed`);
      const start = i;
      i = close + tag.length;
      tokens.push({ text: "$", word: false, start, end: i });
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < n && /[\w$\u0080-\uffff]/.test(sql[i]!)) i++;
      tokens.push({ text: sql.slice(start, i).toLowerCase(), word: true, start, end: i });
    } else if (/[0-9]/.test(c)) {
      const start = i;
      while (i < n && /[\w.]/.test(sql[i]!)) i++;
      tokens.push({ text: "0", word: false, start, end: i });
    } else {
      tokens.push({ text: c, word: false, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

const PARSER_DATABASE: Record<SqlDialect, string> = {
  postgresql: "postgresql",
  mysql: "mysql",
  sqlite: "sqlite",
  // node-sql-parser has no DuckDB grammar; DuckDB's SELECT is PostgreSQL's with extensions.
  duckdb: "postgresql",
};

type AstNode = Record<string, unknown>;

function functionName(node: AstNode): string | undefined {
  const name = node.name;
  if (typeof name === "string") return name;
  if (name && typeof name === "object") {
    const parts = (name as { name?: { value?: unknown }[] }).name;
    if (Array.isArray(parts) && parts.length > 0) {
      const last = parts.at(-1)?.value;
      if (typeof last === "string") return last;
    }
  }
  return undefined;
}

/** Walks every node of the parsed statement and refuses what the token checks could not see structurally. */
function checkAst(node: unknown, cteNames: Set<string>): void {
  if (Array.isArray(node)) {
    for (const child of node) checkAst(child, cteNames);
    return;
  }
  if (!node || typeof node !== "object") return;
  const obj = node as AstNode;
  if (typeof obj.type === "string" && ["insert", "update", "delete", "replace", "create", "drop"].includes(obj.type)) {
    refuse(`it contains a ${obj.type.toUpperCase()} statement`);
  }
  if (obj.type === "function") {
    const name = functionName(obj);
    if (name && isBlockedFunction(name)) refuse(`the function ${name}() reads files, the network or runs SQL text`);
  }
  const into = obj.into as AstNode | null | undefined;
  if (into && typeof into === "object" && (into.type === "into" || into.expr != null)) {
    refuse("SELECT … INTO writes its result somewhere");
  }
  if (obj.for_update || obj.locking_read) refuse("SELECT … FOR UPDATE/SHARE locks rows");
  if (Array.isArray(obj.with)) {
    for (const cte of obj.with as AstNode[]) {
      const name = (cte.name as { value?: unknown } | undefined)?.value;
      if (typeof name === "string") cteNames.add(name.toLowerCase());
    }
  }
  for (const value of Object.values(obj)) if (value && typeof value === "object") checkAst(value, cteNames);
}

/**
 * Checks that `sql` is exactly one read-only query in `dialect` and returns it with the tables it reads.
 *
 * @remarks Two independent checks must both pass. A lexer that follows the dialect's quoting rules counts the
 * statements, requires the first word to be SELECT or WITH, and refuses words that only appear in statements that
 * change something (INSERT, UPDATE, DELETE, MERGE, DROP, INTO …) and calls of file, network
 * or SQL-as-text functions — outside string literals, quoted identifiers and comments only, so a question about
 * "updates" or a literal containing "; DROP" is fine. Then node-sql-parser must parse the statement as a SELECT,
 * and its tree is checked again for blocked functions, `SELECT … INTO` and row locks. Executors add a second
 * line of defence (read-only transactions, DuckDB without external access); this check is what gives the clear
 * error.
 *
 * @throws BAD_USER_INPUT saying why the statement was refused.
 */
export function checkReadOnlySql(sql: string, dialect: SqlDialect): CheckedSql {
  if (sql.length > MAX_SQL_LENGTH) refuse(`it is longer than ${MAX_SQL_LENGTH} characters`);
  const tokens = tokenizeSql(sql, dialect);
  // Trailing semicolons end the one statement; any other semicolon starts a second one.
  let last = tokens.length;
  while (last > 0 && tokens[last - 1]!.text === ";") last--;
  const body = tokens.slice(0, last);
  if (body.length === 0) refuse("it is empty");
  if (body.some((t) => t.text === ";")) refuse("it holds more than one statement");
  const first = body.find((t) => t.text !== "(");
  if (!first?.word || (first.text !== "select" && first.text !== "with")) {
    refuse(`it starts with ${first?.word ? first.text.toUpperCase() : JSON.stringify(sql.trim().slice(0, 20))}`);
  }
  for (let k = 0; k < body.length; k++) {
    const token = body[k]!;
    if (!token.word) continue;
    const calls = body[k + 1]?.text === "(";
    if (calls && isBlockedFunction(token.text)) {
      refuse(`the function ${token.text}() reads files, the network or runs SQL text`);
    }
    if (BLOCKED_WORDS.has(token.text) && !(calls && WORDS_ALLOWED_AS_FUNCTIONS.has(token.text))) {
      // `t.update` is a column named "update", not the keyword.
      if (body[k - 1]?.text !== ".") refuse(`${token.text.toUpperCase()} is not allowed in a read-only query`);
    }
  }
  const statement = sql.slice(0, body.at(-1)!.end).trim();

  const parser = new nodeSqlParser.Parser();
  let parsed: { tableList: string[]; ast: unknown };
  try {
    parsed = parser.parse(statement, { database: PARSER_DATABASE[dialect] });
  } catch (err) {
    const detail = (err as Error).message.split("\n")[0]!.slice(0, 300);
    refuse(`it could not be parsed as ${dialect} SQL (${detail})`);
  }
  const asts = Array.isArray(parsed.ast) ? parsed.ast : [parsed.ast];
  if (asts.length !== 1) refuse("it holds more than one statement");
  const ast = asts[0] as AstNode;
  if (ast.type !== "select") refuse(`it is a ${String(ast.type).toUpperCase()} statement, not a SELECT`);
  const cteNames = new Set<string>();
  checkAst(ast, cteNames);

  const tables: string[] = [];
  for (const entry of parsed.tableList) {
    const [kind, db, table] = entry.split("::");
    if (kind !== "select") refuse(`it would ${kind?.toUpperCase()} ${table}`);
    if (!table || table === "(.*)" || cteNames.has(table.toLowerCase())) continue;
    const name = db && db !== "null" ? `${db}.${table}` : table;
    if (!tables.includes(name)) tables.push(name);
  }
  return { sql: statement, tables };
}
