import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";

export enum DataSourceKind {
  S3 = "S3",
  POSTGRES = "POSTGRES",
  MYSQL = "MYSQL",
  SQLITE = "SQLITE",
}
registerEnumType(DataSourceKind, {
  name: "DataSourceKind",
  description: "S3 (an S3-compatible endpoint such as MinIO), POSTGRES, MYSQL (MySQL and MariaDB), SQLITE (a file)",
});

/**
 * What may be shown of a data source's connection: where it points and as whom, never a password or secret key.
 * The same shape is stored in clear beside the encrypted connection, so listing sources decrypts nothing.
 */
@ObjectType({ description: "Where a data source points and as whom; passwords and secret keys are never returned" })
export class DataSourceConnectionInfo {
  @Field(() => String, { nullable: true })
  host?: string | null;

  @Field(() => Int, { nullable: true })
  port?: number | null;

  @Field(() => String, { nullable: true })
  database?: string | null;

  @Field(() => String, { nullable: true, description: "The database user, or the S3 access key id" })
  user?: string | null;

  @Field(() => String, { nullable: true, description: "S3: the endpoint URL" })
  endpoint?: string | null;

  @Field(() => String, { nullable: true, description: "S3: the region" })
  region?: string | null;

  @Field(() => String, { nullable: true, description: "SQLite: the file's path on the server" })
  path?: string | null;
}

/** A database or S3 endpoint registered with its (encrypted) credentials, so it can be queried and catalogued. */
@Entity({ tableName: "dataset_data_source" })
@Index({ properties: ["ownerId", "createdAt"] })
@ObjectType()
@Directive('@key(fields: "id")')
export class DataSource {
  [OptionalProps]?: "createdAt" | "updatedAt" | "catalogRefreshedAt";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 200 })
  @Field()
  name: string;

  @Enum({ items: () => DataSourceKind })
  @Field(() => DataSourceKind)
  kind: DataSourceKind;

  /** The whole connection JSON encrypted with kit's `encryptSecret`; never exposed. */
  @Property({ type: "text", lazy: true })
  encryptedConnection: string;

  @Property({ type: "json" })
  @Field(() => DataSourceConnectionInfo)
  connection: DataSourceConnectionInfo;

  @Property({ type: "string", length: 36 })
  ownerId: string;

  @Property({ type: "datetime", length: 3 })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime", length: 3, onUpdate: () => new Date() })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();

  @Property({ type: "datetime", length: 3, nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true, description: "When the catalog was last refreshed successfully" })
  catalogRefreshedAt?: Date | null;
}
