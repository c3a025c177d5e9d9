import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";

export enum CatalogRefreshState {
  QUEUED = "QUEUED",
  RUNNING = "RUNNING",
  SUCCEEDED = "SUCCEEDED",
  FAILED = "FAILED",
}
registerEnumType(CatalogRefreshState, { name: "CatalogRefreshState" });

/** One run of reading a database source's tables into the catalog, with its progress. */
@Entity({ tableName: "dataset_catalog_refresh_job" })
@Index({ properties: ["dataSourceId", "createdAt"] })
@ObjectType()
export class CatalogRefreshJob {
  [OptionalProps]?:
    "progress" | "status" | "tablesDone" | "tablesTotal" | "error" | "createdAt" | "startedAt" | "finishedAt";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 36 })
  @Field(() => ID)
  dataSourceId: string;

  @Enum({ items: () => CatalogRefreshState })
  @Field(() => CatalogRefreshState)
  status: CatalogRefreshState = CatalogRefreshState.QUEUED;

  @Property({ type: "integer" })
  @Field(() => Int)
  tablesDone: number = 0;

  @Property({ type: "integer", nullable: true })
  @Field(() => Int, { nullable: true, description: "Known once the source has listed its tables" })
  tablesTotal?: number | null = null;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true, description: "Why the refresh failed" })
  error?: string | null = null;

  @Property({ type: "datetime", length: 3 })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime", length: 3, nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  startedAt?: Date | null = null;

  @Property({ type: "datetime", length: 3, nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt?: Date | null = null;

  @Field(() => Float, { description: "From 0 to 1" })
  get progress(): number {
    if (this.status === CatalogRefreshState.SUCCEEDED) return 1;
    if (!this.tablesTotal) return 0;
    return Math.min(1, this.tablesDone / this.tablesTotal);
  }
}
