import { Entity, Index, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType } from "type-graphql";

/** One question a user asked of their data (`askData`), with the SQL it became; kept per user. */
@Entity({ tableName: "dataset_ask_history" })
@Index({ properties: ["ownerId", "createdAt"] })
@ObjectType()
export class AskHistoryEntry {
  [OptionalProps]?: "createdAt" | "starred" | "explanation" | "dataSourceId" | "datasetIds" | "tables";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 36 })
  ownerId: string;

  @Property({ type: "text" })
  @Field()
  question: string;

  @Property({ type: "text" })
  @Field()
  sql: string;

  @Property({ type: "text" })
  @Field()
  explanation: string = "";

  @Property({ type: "json" })
  @Field(() => [String])
  tablesUsed: string[];

  @Property({ type: "string", length: 16 })
  @Field({ description: "postgresql, mysql, sqlite or duckdb (datasets)" })
  dialect: string;

  @Property({ type: "string", length: 36, nullable: true })
  @Field(() => ID, { nullable: true })
  dataSourceId?: string | null;

  @Property({ type: "json" })
  @Field(() => [ID])
  datasetIds: string[] = [];

  /** The tables the question was limited to, if it was. */
  @Property({ type: "json", nullable: true })
  @Field(() => [String], { nullable: true })
  tables?: string[] | null;

  @Property({ type: "string", length: 200 })
  @Field({ description: "The chat model that wrote the SQL (name or id, as asked)" })
  modelId: string;

  @Property({ type: "boolean" })
  @Field()
  starred: boolean = false;

  // Millisecond precision so the history sorts newest first on MariaDB too.
  @Property({ type: "datetime", length: 3 })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();
}
