import { Entity, Index, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType } from "type-graphql";

/**
 * One sign-in: the family of refresh tokens that rotate from it. Access tokens carry its id (`sid`), so revoking
 * the session stops its access tokens at the gateway too, not only its refresh token.
 */
@Entity({ tableName: "identity_session" })
@ObjectType({ description: "A signed-in browser or program: one sign-in and the refresh tokens rotated from it." })
export class Session {
  [OptionalProps]?: "createdAt" | "lastUsedAt";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 36, index: true })
  @Field(() => ID)
  userId: string;

  /** `password`, `oidc` or `setup`: how the session began. */
  @Property({ type: "string", length: 20 })
  @Field()
  method: string;

  @Property({ type: "string", length: 300, nullable: true })
  @Field(() => String, { nullable: true })
  userAgent?: string | null;

  @Property({ type: "string", length: 64, nullable: true })
  @Field(() => String, { nullable: true })
  ip?: string | null;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  lastUsedAt: Date = new Date();

  /** When the newest refresh token of the family expires; refreshing moves it on. */
  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  expiresAt: Date;

  @Index()
  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  revokedAt?: Date | null;

  /** `logout`, `logout-everywhere`, `revoked`, `reuse` (an old refresh token came back), `user-disabled`. */
  @Property({ type: "string", length: 40, nullable: true })
  @Field(() => String, { nullable: true })
  revokedReason?: string | null;
}

/**
 * A refresh token, stored as a SHA-256 of its secret. Using one retires it and issues the next of its family;
 * a retired one presented again means it was copied, and the whole family is revoked.
 */
@Entity({ tableName: "identity_refresh_token" })
export class RefreshToken {
  [OptionalProps]?: "createdAt";

  @PrimaryKey({ type: "string", length: 64 })
  tokenHash: string;

  @Property({ type: "string", length: 36, index: true })
  sessionId: string;

  @Property({ type: "datetime" })
  createdAt: Date = new Date();

  @Property({ type: "datetime" })
  expiresAt: Date;

  @Property({ type: "datetime", nullable: true })
  retiredAt?: Date | null;
}
