import { Entity, OptionalProps, PrimaryKey, Property, Unique } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Directive, Field, ID, ObjectType, registerEnumType } from "type-graphql";

export enum UserRole {
  ADMIN = "admin",
  EDITOR = "editor",
  VIEWER = "viewer",
}
registerEnumType(UserRole, {
  name: "UserRole",
  description: "admin: everything; editor: create and change; viewer: read",
});

/** A person who signs in. The GraphQL type and the table are one class; the password hash is never a field. */
@Entity({ tableName: "identity_user" })
@Unique({ properties: ["oidcIssuer", "oidcSubject"] })
@ObjectType()
@Directive('@key(fields: "id")')
export class User {
  [OptionalProps]?: "createdAt" | "disabled" | "roles";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 320, unique: true })
  @Field()
  email: string;

  @Property({ type: "string", length: 200 })
  @Field()
  name: string;

  /** Null for users who sign in only through single sign-on. */
  @Property({ type: "string", length: 200, hidden: true, nullable: true })
  passwordHash?: string | null;

  /** The OpenID provider (`iss`) and subject (`sub`) of a single sign-on user: together they identify the person. */
  @Property({ type: "string", length: 500, nullable: true })
  oidcIssuer?: string | null;

  @Property({ type: "string", length: 255, nullable: true })
  oidcSubject?: string | null;

  // JSON rather than a native enum array: the same column works on SQLite, PostgreSQL and MariaDB.
  @Property({ type: "json" })
  @Field(() => [UserRole])
  roles: UserRole[] = [UserRole.VIEWER];

  @Property({ type: "boolean" })
  @Field()
  disabled: boolean = false;

  /** When the user was last disabled: the gateway refuses access tokens issued before it. */
  @Property({ type: "datetime", nullable: true })
  disabledAt?: Date | null;

  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  lastLoginAt?: Date | null;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();
}
