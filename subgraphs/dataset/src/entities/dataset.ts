import { BigIntType, Entity, Enum, Index, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import type { ColumnSpec, ColumnType, CsvDialect } from "../services/infer-schema.js";
import { tableNameOf } from "../services/table-name.js";

export enum DatasetFormat {
  CSV = "CSV",
  JSONL = "JSONL",
  JSON = "JSON",
  PARQUET = "PARQUET",
}
registerEnumType(DatasetFormat, {
  name: "DatasetFormat",
  description: "CSV (delimiter detected), JSONL (one object per line), JSON (an array of objects), PARQUET",
});

/** One column of a dataset's schema. */
@ObjectType()
export class DatasetColumn implements ColumnSpec {
  @Field()
  name: string;

  @Field(() => String, { description: "INTEGER, FLOAT, BOOLEAN, DATE, TIMESTAMP or STRING" })
  type: ColumnType;

  @Field()
  nullable: boolean;
}

/** A file in object storage registered with its schema, so it can be previewed, read and queried. */
@Entity({ tableName: "dataset_dataset" })
@Index({ properties: ["deletedAt", "createdAt"] })
@ObjectType()
@Directive('@key(fields: "id")')
export class Dataset {
  [OptionalProps]?:
    | "createdAt"
    | "updatedAt"
    | "deletedAt"
    | "description"
    | "tags"
    | "columns"
    | "tableName"
    | "dataSourceId"
    | "csv"
    | "currentVersion";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 200 })
  @Field()
  name: string;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  description?: string | null;

  @Property({ type: "string", length: 1024 })
  @Field({
    description:
      "Where the current version's data lives: a key in the platform's object store, or s3://bucket/key in the " +
      "S3 data source `dataSourceId`",
  })
  storagePath: string;

  /** The S3 data source holding `storagePath` when it is an `s3://` path; null for the platform's own store. */
  @Property({ type: "string", length: 36, nullable: true })
  @Field(() => ID, { nullable: true, description: "The S3 data source of an s3:// storagePath" })
  dataSourceId?: string | null;

  /** How the current version's CSV file is written (encoding, delimiter, quote, header); null for other formats. */
  @Property({ type: "json", nullable: true })
  csv?: CsvDialect | null;

  /** The number of the newest version, which `storagePath`, `format`, `columns` and `sizeBytes` describe. */
  @Property({ type: "integer" })
  @Field(() => Int, { description: "The number of the newest version; the dataset's fields describe it" })
  currentVersion: number = 1;

  @Enum({ items: () => DatasetFormat })
  @Field(() => DatasetFormat)
  format: DatasetFormat;

  // JSON rather than a join table: a handful of short strings per dataset, filtered with each dialect's JSON functions.
  @Property({ type: "json" })
  @Field(() => [String])
  tags: string[] = [];

  @Property({ type: "json" })
  @Field(() => [DatasetColumn])
  columns: ColumnSpec[] = [];

  // bigint read back as a JS number: files stay far below 2^53 bytes, and GraphQL Int stops at 2 GiB.
  @Property({ type: new BigIntType("number") })
  @Field(() => Float, { description: "Size of the file in bytes" })
  sizeBytes: number;

  @Property({ type: "string", length: 36 })
  ownerId: string;

  // Millisecond precision: MariaDB's datetime keeps whole seconds otherwise, and lists sort newest first.
  @Property({ type: "datetime", length: 3 })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime", length: 3, onUpdate: () => new Date() })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();

  /** Set when the dataset is deleted; deleted datasets are hidden everywhere but kept for references. */
  @Property({ type: "datetime", length: 3, nullable: true })
  deletedAt?: Date | null;

  @Field({ description: "The name by which SQL refers to the dataset, derived from its name" })
  get tableName(): string {
    return tableNameOf(this.name);
  }
}
