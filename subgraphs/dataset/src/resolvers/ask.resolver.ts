import { audited, auditSql, type SubgraphContext, connectionType } from "@ods/kit";
import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
} from "type-graphql";
import { AskHistoryEntry } from "../entities/ask-history.js";
import type { TextToSql } from "../services/ask/ask-service.js";
import type { DatasetServices } from "../services/index.js";
import type { QueryOutput } from "../services/sql/types.js";
import { QueryResult } from "./sql.resolver.js";

@InputType()
export class AskDataInput {
  @Field({ description: "The question, in any language" })
  question: string;

  @Field(() => ID, { nullable: true, description: "A database data source; or give datasetIds" })
  dataSourceId?: string | null;

  @Field(() => [ID], { nullable: true, description: "Datasets, each a table named by its tableName" })
  datasetIds?: string[] | null;

  @Field(() => [String], { nullable: true, description: "Only these tables (name or schema.name); default all" })
  tables?: string[] | null;

  @Field(() => ID, { nullable: true, description: "The chat model (id or name); default the configured one" })
  modelId?: string | null;

  @Field(() => Boolean, { nullable: true, description: "Also run the SQL and return its result" })
  execute?: boolean | null;
}

/** The SQL a question became, why, and (when asked to execute) its result. */
@ObjectType()
export class TextToSqlResult implements TextToSql {
  @Field()
  sql: string;

  @Field()
  explanation: string;

  @Field(() => [String])
  tablesUsed: string[];

  @Field(() => String, { description: "postgresql, mysql, sqlite or duckdb (datasets)" })
  dialect: TextToSql["dialect"];

  @Field(() => QueryResult, { nullable: true, description: "Set when execute was true" })
  result: QueryOutput | null;

  @Field(() => ID, { description: "The entry kept in askHistory" })
  historyId: string;
}

@ObjectType()
export class AskHistoryConnection extends connectionType(() => AskHistoryEntry, "AskHistory") {}

@ArgsType()
class AskHistoryArgs {
  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => Boolean, { nullable: true, description: "Only starred (true) or unstarred (false) questions" })
  starred?: boolean | null;
}

@Resolver()
export class AskResolver {
  @Authorized()
  @Mutation(() => TextToSqlResult, {
    description: "Turns a question into one checked read-only SQL statement with a chat model; runs it when asked",
  })
  async askData(
    @Arg("input", () => AskDataInput) input: AskDataInput,
    @Ctx() ctx: SubgraphContext<DatasetServices>,
  ): Promise<TextToSql> {
    const on = input.dataSourceId
      ? { resourceType: "DataSource", resourceId: input.dataSourceId }
      : { resourceType: "Dataset", resourceId: input.datasetIds?.[0] };
    const audit = {
      action: "ask.run",
      caller: ctx.caller,
      ...on,
      details: {
        question: input.question.slice(0, 500),
        execute: !!input.execute,
        modelId: input.modelId ?? undefined,
      },
    };
    return audited(
      ctx.services.audit,
      audit,
      () => ctx.services.ask.ask(ctx.em, ctx.caller, input),
      (r) => ({ details: { ...auditSql(r.sql), rows: r.result?.rowCount, historyId: r.historyId } }),
    );
  }

  @Authorized()
  @Query(() => AskHistoryConnection, { description: "Your questions, newest first" })
  async askHistory(@Args() args: AskHistoryArgs, @Ctx() ctx: SubgraphContext<DatasetServices>) {
    return ctx.services.ask.history(ctx.em, ctx.caller, args);
  }

  @Authorized()
  @Mutation(() => AskHistoryEntry)
  async starAskHistory(
    @Arg("id", () => ID) id: string,
    @Arg("starred", () => Boolean) starred: boolean,
    @Ctx() ctx: SubgraphContext<DatasetServices>,
  ): Promise<AskHistoryEntry> {
    return ctx.services.ask.star(ctx.em, ctx.caller, id, starred);
  }

  @Authorized()
  @Mutation(() => TextToSqlResult, { description: "Runs a stored question's SQL again (the model is not asked again)" })
  async rerunAsk(@Arg("id", () => ID) id: string, @Ctx() ctx: SubgraphContext<DatasetServices>): Promise<TextToSql> {
    return ctx.services.ask.rerun(ctx.em, ctx.caller, id);
  }

  @Authorized()
  @Mutation(() => Boolean)
  async deleteAskHistory(
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: SubgraphContext<DatasetServices>,
  ): Promise<boolean> {
    return ctx.services.ask.delete(ctx.em, ctx.caller, id);
  }
}
