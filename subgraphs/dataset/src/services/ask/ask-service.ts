import type { EntityManager } from "@mikro-orm/core";
import {
  AppError,
  badInput,
  ErrorCode,
  notFound,
  pageWindow,
  parseInput,
  requireUser,
  toPage,
  upstreamUnavailable,
  type Caller,
  type Page,
} from "@ods/kit";
import type OpenAI from "openai";
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { z } from "zod";
import { AskHistoryEntry } from "../../entities/ask-history.js";
import { checkReadOnlySql, type CheckedSql } from "../sql/guard.js";
import { DEFAULT_ROW_LIMIT, DEFAULT_TIMEOUT_MS, targetInput, type SqlService, type SqlTarget } from "../sql/run-sql.js";
import type { CatalogTableInfo, QueryOutput, SqlDialect } from "../sql/types.js";
import { buildPrompt, parseAnswer, rankTables } from "./prompt.js";

/** Sample rows per table shown to the model. */
const SAMPLE_ROWS = 3;

export const askDataInput = targetInput
  .extend({
    question: z.string().trim().min(1, "must not be empty").max(4_000, "must be at most 4000 characters"),
    tables: z
      .array(z.string().trim().min(1, "must not be empty"))
      .min(1, "must list at least one table")
      .max(200, "at most 200 tables")
      .nullish(),
    modelId: z.string().trim().min(1, "must not be empty").max(200, "is too long").nullish(),
    execute: z.boolean().nullish(),
  })
  .refine((v) => (v.dataSourceId != null) !== (v.datasetIds != null), {
    message: "give exactly one of dataSourceId and datasetIds",
    path: ["dataSourceId"],
  });

/** What `askData` and `rerunAsk` return. */
export interface TextToSql {
  sql: string;
  explanation: string;
  tablesUsed: string[];
  dialect: SqlDialect;
  result: QueryOutput | null;
  historyId: string;
}

/** Text-to-SQL: a question becomes one checked SQL statement written by a chat model, optionally run. */
export class AskService {
  /**
   * @param modelClient kit's `createModelClient(...)`: the model is called through the model subgraph's `/v1`.
   * @param defaultModel the chat model used when the question names none.
   */
  constructor(
    private readonly sql: SqlService,
    private readonly modelClient: (caller: Caller) => Promise<OpenAI>,
    private readonly defaultModel: string,
    private readonly modelTimeoutMs = 60_000,
  ) {}

  /**
   * Answers a question with SQL: ranks the target's tables against it, shows the model their columns and a few
   * sample rows, takes the SQL out of the answer, checks it with the read-only guard and that it reads only the
   * tables shown, keeps it in the caller's history, and runs it when `execute` is set.
   *
   * @throws BAD_USER_INPUT for invalid input, an unknown table in `tables` or in the model's SQL, an answer with
   * no SQL, SQL the guard refuses, or a timeout; NOT_FOUND for an unknown source or model; UPSTREAM_UNAVAILABLE
   * when the model API cannot be reached or fails.
   */
  async ask(em: EntityManager, caller: Caller, input: z.input<typeof askDataInput>): Promise<TextToSql> {
    requireUser(caller);
    const data = parseInput(askDataInput, input);
    const target = await this.sql.target(em, caller, data);
    const catalog = await this.sql.catalog(em, caller, target);
    if (catalog.length === 0) {
      throw badInput(
        target.kind === "dataSource"
          ? "The data source has no tables in its catalog: run refreshCatalog first"
          : "The datasets have no tables",
      );
    }
    const offered = data.tables ? pickTables(catalog, data.tables) : catalog;
    const tables = rankTables(offered, data.question);
    const samples = await this.sql.sampleRows(em, caller, target, tables, SAMPLE_ROWS);
    const model = data.modelId ?? this.defaultModel;
    const answer = await this.complete(
      caller,
      model,
      buildPrompt({ ...data, dialect: target.dialect, tables, samples }),
    );
    const parsed = parseAnswer(answer);
    if (!parsed) {
      throw badInput(`The model answered without SQL: ${JSON.stringify(answer.slice(0, 300))}`, {
        question: "the model wrote no SQL for it; try rephrasing",
      });
    }
    const checked = checkModelSql(parsed.sql, target.dialect, tables);
    const entry = em.create(AskHistoryEntry, {
      ownerId: caller.userId,
      question: data.question,
      sql: checked.sql,
      explanation: parsed.explanation,
      tablesUsed: checked.tables,
      dialect: target.dialect,
      dataSourceId: data.dataSourceId ?? null,
      datasetIds: data.datasetIds ?? [],
      tables: data.tables ?? null,
      modelId: model,
    });
    await em.persistAndFlush(entry);
    const result = data.execute ? await this.run(em, caller, target, checked) : null;
    return { ...toResult(entry, target.dialect), result };
  }

  /** One page of the caller's questions, newest first; `starred` keeps only starred ones. */
  async history(
    em: EntityManager,
    caller: Caller,
    args: { first?: number | null; after?: string | null; starred?: boolean | null },
  ): Promise<Page<AskHistoryEntry>> {
    requireUser(caller);
    const { offset, limit } = pageWindow(args);
    const where = { ownerId: caller.userId, ...(args.starred != null ? { starred: args.starred } : {}) };
    const [rows, total] = await em.findAndCount(AskHistoryEntry, where, {
      orderBy: { createdAt: "desc", id: "desc" },
      offset,
      limit,
    });
    return toPage(rows, offset, total);
  }

  /** The caller's entry; others' entries are NOT_FOUND, as if they did not exist. */
  async entry(em: EntityManager, caller: Caller, id: string): Promise<AskHistoryEntry> {
    requireUser(caller);
    const entry = await em.findOne(AskHistoryEntry, { id, ownerId: caller.userId });
    if (!entry) throw notFound("Ask history entry", id);
    return entry;
  }

  async star(em: EntityManager, caller: Caller, id: string, starred: boolean): Promise<AskHistoryEntry> {
    const entry = await this.entry(em, caller, id);
    entry.starred = starred;
    await em.flush();
    return entry;
  }

  async delete(em: EntityManager, caller: Caller, id: string): Promise<boolean> {
    const entry = await this.entry(em, caller, id);
    await em.removeAndFlush(entry);
    return true;
  }

  /**
   * Runs a stored question's SQL again, against the same source, without asking the model again. The SQL is
   * checked again, since the source's dialect or tables may have changed.
   */
  async rerun(em: EntityManager, caller: Caller, id: string): Promise<TextToSql> {
    const entry = await this.entry(em, caller, id);
    const target = await this.sql.target(
      em,
      caller,
      entry.dataSourceId ? { dataSourceId: entry.dataSourceId } : { datasetIds: entry.datasetIds },
    );
    const checked = checkReadOnlySql(entry.sql, target.dialect);
    const result = await this.run(em, caller, target, checked);
    return { ...toResult(entry, target.dialect), result };
  }

  private run(em: EntityManager, caller: Caller, target: SqlTarget, checked: CheckedSql): Promise<QueryOutput> {
    return this.sql.execute(em, caller, target, checked, { limit: DEFAULT_ROW_LIMIT, timeoutMs: DEFAULT_TIMEOUT_MS });
  }

  private async complete(
    caller: Caller,
    model: string,
    messages: { role: "system" | "user"; content: string }[],
  ): Promise<string> {
    const client = await this.modelClient(caller);
    try {
      const completion = await client.chat.completions.create(
        { model, messages, temperature: 0 },
        { timeout: this.modelTimeoutMs },
      );
      const content = completion.choices[0]?.message?.content;
      if (!content) throw upstreamUnavailable(`The model ${model} returned an empty answer`);
      return content;
    } catch (err) {
      throw modelError(err, model);
    }
  }
}

function toResult(entry: AskHistoryEntry, dialect: SqlDialect): Omit<TextToSql, "result"> {
  return {
    sql: entry.sql,
    explanation: entry.explanation,
    tablesUsed: entry.tablesUsed,
    dialect,
    historyId: entry.id,
  };
}

const displayName = (t: CatalogTableInfo) => (t.schema ? `${t.schema}.${t.name}` : t.name);

/** Matches a table as written in SQL or in `tables` (`name` or `schema.name`, any case) to the catalog. */
function matches(written: string, table: CatalogTableInfo): boolean {
  const w = written.toLowerCase();
  return w === table.name.toLowerCase() || w === displayName(table).toLowerCase();
}

function pickTables(catalog: CatalogTableInfo[], names: string[]): CatalogTableInfo[] {
  const unknown = names.filter((n) => !catalog.some((t) => matches(n, t)));
  if (unknown.length > 0) {
    throw badInput(`Unknown table${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`, {
      tables: `not in the catalog: ${unknown.join(", ")}`,
    });
  }
  return catalog.filter((t) => names.some((n) => matches(n, t)));
}

/** The guard, plus: the model may only read the tables it was shown. */
function checkModelSql(sql: string, dialect: SqlDialect, tables: CatalogTableInfo[]): CheckedSql {
  let checked: CheckedSql;
  try {
    checked = checkReadOnlySql(sql, dialect);
  } catch (err) {
    if (err instanceof AppError) {
      throw badInput(`The model's SQL was refused: ${err.message}`, { sql, ...(err.extensions.fields ?? {}) });
    }
    throw err;
  }
  const unknown = checked.tables.filter((name) => !tables.some((t) => matches(name, t)));
  if (unknown.length > 0) {
    throw badInput(
      `The model's SQL reads unknown table${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; ` +
        `the tables offered were ${tables.map(displayName).join(", ")}`,
      { sql: `unknown table ${unknown.join(", ")}` },
    );
  }
  return checked;
}

/** Says why the model call failed, with the code a client can act on. */
function modelError(err: unknown, model: string): Error {
  if (err instanceof AppError) return err;
  if (err instanceof APIConnectionTimeoutError) return upstreamUnavailable(`The model ${model} did not answer in time`);
  if (err instanceof APIConnectionError) return upstreamUnavailable(`The model API cannot be reached: ${err.message}`);
  if (err instanceof APIError) {
    if (err.status === 404) return new AppError(ErrorCode.NOT_FOUND, `The model ${model} was not found`);
    if (err.status === 429) return new AppError(ErrorCode.RATE_LIMITED, `The model ${model} is rate limited`);
    if (err.status === 400 || err.status === 422)
      return badInput(`The model ${model} refused the request: ${err.message}`);
    return upstreamUnavailable(`The model ${model} failed: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
