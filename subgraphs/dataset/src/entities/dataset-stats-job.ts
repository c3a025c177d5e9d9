import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";

export enum DatasetJobStatus {
  QUEUED = "QUEUED",
  RUNNING = "RUNNING",
  SUCCEEDED = "SUCCEEDED",
  FAILED = "FAILED",
}
registerEnumType(DatasetJobStatus, { name: "DatasetJobStatus" });

/** The most frequent values of a column, with how often each occurs. */
@ObjectType()
export class DatasetTopValue {
  @Field(() => GraphQLJSON)
  value: unknown;

  @Field(() => Float)
  count: number;
}

/** Statistics of one column over every row of a version. */
@ObjectType()
export class DatasetColumnStats {
  @Field()
  name: string;

  @Field(() => Float)
  nullCount: number;

  @Field(() => Float, { description: "Distinct non-null values, estimated with HyperLogLog (about 1% error)" })
  distinctEstimate: number;

  @Field(() => GraphQLJSON, { nullable: true, description: "Smallest value (numbers, dates and text compare)" })
  min: unknown;

  @Field(() => GraphQLJSON, { nullable: true })
  max: unknown;

  @Field(() => [DatasetTopValue], { description: "Up to 10 most frequent values, most frequent first" })
  topValues: DatasetTopValue[];
}

/** Statistics of a whole version of a dataset. */
@ObjectType()
export class DatasetStats {
  @Field(() => Int)
  version: number;

  @Field(() => Float)
  rows: number;

  @Field(() => Float)
  bytes: number;

  @Field(() => [DatasetColumnStats])
  columns: DatasetColumnStats[];

  @Field(() => GraphQLDateTime)
  computedAt: Date;
}

/** A background computation of a version's statistics, with its progress; poll `datasetStatsJob(id)`. */
@Entity({ tableName: "dataset_stats_job" })
@Index({ properties: ["datasetId", "createdAt"] })
@ObjectType()
export class DatasetStatsJob {
  [OptionalProps]?: "createdAt" | "status" | "progress" | "rowsDone" | "error" | "stats" | "finishedAt";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 36 })
  @Field(() => ID)
  datasetId: string;

  @Property({ type: "integer" })
  @Field(() => Int)
  version: number;

  @Enum({ items: () => DatasetJobStatus })
  @Field(() => DatasetJobStatus)
  status: DatasetJobStatus = DatasetJobStatus.QUEUED;

  @Property({ type: "double" })
  @Field(() => Float, { description: "0 to 1: the share of the file read so far" })
  progress: number = 0;

  @Property({ type: "double" })
  @Field(() => Float)
  rowsDone: number = 0;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  error?: string | null;

  @Property({ type: "json", nullable: true })
  stats?: (Omit<DatasetStats, "computedAt"> & { computedAt: string }) | null;

  @Property({ type: "datetime", length: 3 })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime", length: 3, nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt?: Date | null;
}
