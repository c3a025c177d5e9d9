import { BigIntType, Entity, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, Float, ID, Int, ObjectType } from "type-graphql";
import type { ColumnSpec, CsvDialect } from "../services/infer-schema.js";
import { DatasetColumn, DatasetFormat } from "./dataset.js";

/**
 * One version of a dataset: the file it was registered from, with its checksum, size, row count and schema.
 * Versions are never changed; a new file or path makes a new one.
 */
@Entity({ tableName: "dataset_version" })
@Unique({ properties: ["datasetId", "number"] })
@ObjectType()
export class DatasetVersion {
  [OptionalProps]?: "createdAt" | "dataSourceId" | "csv" | "rows";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 36 })
  @Index()
  datasetId: string;

  @Property({ type: "integer" })
  @Field(() => Int, { description: "1 for the first version, then 2, 3…" })
  number: number;

  @Property({ type: "string", length: 1024 })
  @Field()
  storagePath: string;

  @Property({ type: "string", length: 36, nullable: true })
  @Field(() => ID, { nullable: true })
  dataSourceId?: string | null;

  @Enum({ items: () => DatasetFormat })
  @Field(() => DatasetFormat)
  format: DatasetFormat;

  @Property({ type: "json", nullable: true })
  csv?: CsvDialect | null;

  @Property({ type: "string", length: 64 })
  @Field({ description: "SHA-256 of the file's bytes, hex" })
  checksum: string;

  @Property({ type: new BigIntType("number"), nullable: true })
  @Field(() => Float, { nullable: true, description: "Data rows in the file (the header row is not counted)" })
  rows?: number | null;

  @Property({ type: new BigIntType("number") })
  @Field(() => Float, { description: "Size of the file in bytes" })
  bytes: number;

  @Property({ type: "json" })
  @Field(() => [DatasetColumn], { description: "The schema of this version" })
  columns: ColumnSpec[];

  @Property({ type: "string", length: 36 })
  createdById: string;

  @Property({ type: "datetime", length: 3 })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();
}
