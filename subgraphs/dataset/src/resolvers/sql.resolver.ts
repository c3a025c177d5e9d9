import { audited, auditSql, type SubgraphContext } from "@ods/kit";
import { GraphQLJSON } from "graphql-scalars";
import { Arg, Authorized, Ctx, Field, Float, ID, InputType, Int, Mutation, ObjectType, Resolver } from "type-graphql";
import type { DatasetServices } from "../services/index.js";
import type { QueryOutput, ResultColumn } from "../services/sql/types.js";

/** A column of a query result, with the engine's type name (e.g. INTEGER, VARCHAR, TIMESTAMP). */
@ObjectType()
export class QueryResultColumn implements ResultColumn {
  @Field()
  name: string;

  @Field()
  type: string;
}

/** The rows a read-only statement returned, at most its limit. */
@ObjectType()
export class QueryResult implements QueryOutput {
  @Field(() => [QueryResultColumn])
  columns: QueryResultColumn[];

  @Field(() => [GraphQLJSON], { description: "One object per row, keyed by column name; JSON-safe values" })
  rows: Record<string, unknown>[];

  @Field(() => Int)
  rowCount: number;

  @Field({ description: "True when the statement produced more rows than the limit; the rest were not read" })
  truncated: boolean;

  @Field(() => Float)
  elapsedMs: number;
}

@InputType()
export class RunSqlInput {
  @Field(() => ID, { nullable: true, description: "A database data source; or give datasetIds" })
  dataSourceId?: string | null;

  @Field(() => [ID], { nullable: true, description: "Datasets, each a table named by its tableName (DuckDB SQL)" })
  datasetIds?: string[] | null;

  @Field({ description: "One read-only SELECT (or WITH … SELECT) statement" })
  sql: string;

  @Field(() => Int, { nullable: true, description: "Most rows returned; default 1000, at most 10000" })
  limit?: number | null;

  @Field(() => Int, { nullable: true, description: "Deadline in milliseconds; default 10000" })
  timeoutMs?: number | null;
}

@Resolver()
export class SqlResolver {
  @Authorized()
  @Mutation(() => QueryResult, {
    description: "Runs one read-only statement over a database source or over datasets, with a row and time limit",
  })
  async runSql(
    @Arg("input", () => RunSqlInput) input: RunSqlInput,
    @Ctx() ctx: SubgraphContext<DatasetServices>,
  ): Promise<QueryOutput> {
    const on = input.dataSourceId
      ? { resourceType: "DataSource", resourceId: input.dataSourceId }
      : { resourceType: "Dataset", resourceId: input.datasetIds?.[0] };
    const audit = {
      action: "sql.run",
      caller: ctx.caller,
      ...on,
      details: { ...auditSql(input.sql), datasetIds: input.datasetIds ?? undefined },
    };
    return audited(
      ctx.services.audit,
      audit,
      () => ctx.services.sql.run(ctx.em, ctx.caller, input),
      (r) => ({ details: { rows: r.rowCount, truncated: r.truncated, elapsedMs: r.elapsedMs } }),
    );
  }
}
