import { BigIntType, Entity, Index, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { Field, Float, ID, ObjectType } from "type-graphql";
import type { CatalogColumnInfo } from "../services/sql/types.js";

@ObjectType({ description: "The column a foreign key points at" })
export class CatalogForeignKey {
  @Field(() => String, { nullable: true })
  schema?: string;

  @Field()
  table: string;

  @Field()
  column: string;
}

@ObjectType()
export class CatalogColumn implements CatalogColumnInfo {
  @Field()
  name: string;

  @Field({ description: "The database's own type name, e.g. integer, varchar(20), TEXT" })
  type: string;

  @Field()
  nullable: boolean;

  @Field()
  primaryKey: boolean;

  @Field(() => CatalogForeignKey, { nullable: true })
  foreignKey?: CatalogForeignKey | null;

  @Field(() => String, { nullable: true })
  comment?: string | null;
}

/**
 * One table or view of a database source as last catalogued. Stored here, so listing and searching the catalog
 * works without reaching the source.
 */
@Entity({ tableName: "dataset_catalog_table" })
@Index({ properties: ["dataSourceId"] })
@ObjectType()
export class CatalogTable {
  @PrimaryKey({ type: "string", length: 36 })
  id: string = randomUUID();

  @Property({ type: "string", length: 36 })
  @Field(() => ID)
  dataSourceId: string;

  @Property({ type: "string", length: 255, nullable: true })
  @Field(() => String, { nullable: true, description: "PostgreSQL schema, MySQL database, or main for SQLite" })
  schema?: string | null;

  @Property({ type: "string", length: 255 })
  @Field()
  name: string;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  comment?: string | null;

  @Property({ type: new BigIntType("number"), nullable: true })
  @Field(() => Float, { nullable: true, description: "Rows, exact or the database's estimate" })
  rowCount?: number | null;

  @Property({ type: "json" })
  @Field(() => [CatalogColumn])
  columns: CatalogColumnInfo[];

  /** Lower-cased schema, name, comment and column names and comments, for a portable `like` search. */
  @Property({ type: "text" })
  searchText: string;
}
