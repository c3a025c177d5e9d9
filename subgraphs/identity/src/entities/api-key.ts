import { Entity, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";

/**
 * What a key may reach. READ: queries and subscriptions. WRITE: also mutations and the model API. ADMIN: also
 * what the owner's admin role allows (without it, an admin's key acts as an editor). MODEL_API: the
 * OpenAI-compatible `/v1` API only.
 */
export enum ApiKeyScope {
  READ = "READ",
  WRITE = "WRITE",
  ADMIN = "ADMIN",
  MODEL_API = "MODEL_API",
}
registerEnumType(ApiKeyScope, {
  name: "ApiKeyScope",
  description: "READ: queries; WRITE: also mutations and /v1; ADMIN: also admin rights; MODEL_API: /v1 only",
});

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
  @Field(() => ID, { description: "The owner's user id." })
  userId: string;

  /** The first characters of the key, shown in lists so a user can tell keys apart. */
  @Property({ type: "string", length: 20, unique: true })
  @Field()
  prefix: string;

  @Property({ type: "string", length: 64, hidden: true })
  secretHash: string;

  @Property({ type: "json" })
  @Field(() => [ApiKeyScope])
  scopes: ApiKeyScope[] = [];

  /** Null: the key does not expire. */
  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  expiresAt?: Date | null;

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
