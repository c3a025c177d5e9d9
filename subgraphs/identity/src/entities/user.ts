import { Entity, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
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

  @Property({ type: "string", length: 200, hidden: true })
  passwordHash: string;

  // JSON rather than a native enum array: the same column works on SQLite, PostgreSQL and MariaDB.
  @Property({ type: "json" })
  @Field(() => [UserRole])
  roles: UserRole[] = [UserRole.VIEWER];

  @Property({ type: "boolean" })
  @Field()
  disabled: boolean = false;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();
}
