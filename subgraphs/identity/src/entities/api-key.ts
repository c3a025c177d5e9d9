import { Entity, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType } from "type-graphql";

/** A key a program uses instead of a session. Only a SHA-256 of the secret is stored. */
@Entity({ tableName: "identity_api_key" })
@ObjectType()
export class ApiKey {
  [OptionalProps]?: "createdAt" | "scopes";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 200 })
  @Field()
  name: string;

  @Property({ type: "string", length: 36, index: true })
  userId: string;

  /** The first characters of the key, shown in lists so a user can tell keys apart. */
  @Property({ type: "string", length: 20, unique: true })
  @Field()
  prefix: string;

  @Property({ type: "string", length: 64, hidden: true })
  secretHash: string;

  @Property({ type: "json" })
  @Field(() => [String])
  scopes: string[] = [];

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  revokedAt?: Date | null;
}
