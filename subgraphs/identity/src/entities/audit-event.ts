import { Entity, Index, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";

export enum AuditCategory {
  SECURITY = "security",
  DATA = "data",
  MODEL = "model",
  WORKFLOW = "workflow",
}
registerEnumType(AuditCategory, {
  name: "AuditCategory",
  description: "SECURITY: sign-ins, users, roles, keys, sessions (kept longest); DATA; MODEL; WORKFLOW",
});

export enum AuditOutcome {
  SUCCESS = "success",
  FAILURE = "failure",
}
registerEnumType(AuditOutcome, { name: "AuditOutcome" });

export enum AuditActorType {
  USER = "user",
  APIKEY = "apikey",
  SERVICE = "service",
  ANONYMOUS = "anonymous",
}
registerEnumType(AuditActorType, {
  name: "AuditActorType",
  description: "USER: a session; APIKEY: a user's API key; SERVICE: one of the platform's services; ANONYMOUS",
});

/**
 * One sensitive action, as recorded: append-only (no API updates or deletes a row; only the retention job
 * removes rows older than the configured age).
 *
 * @remarks Indexed by time (every query is newest first and retention deletes by age) and by the ways admins look
 * things up: who did it, what was done, to which resource, and the category retention works by.
 */
@Entity({ tableName: "identity_audit_event" })
@Index({ properties: ["actorId", "at"] })
@Index({ properties: ["action", "at"] })
@Index({ properties: ["resourceType", "resourceId"] })
@Index({ properties: ["category", "at"] })
@ObjectType({ description: "A sensitive action: who did what to which resource, when, from where, and the outcome" })
export class AuditEvent {
  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "datetime", index: true })
  @Field(() => GraphQLDateTime)
  at: Date;

  @Property({ type: "string", length: 64 })
  @Field({ description: "What was done, `area.verb`: auth.login, auth.login_failed, datasource.deleted, sql.run, …" })
  action: string;

  @Property({ type: "string", length: 16 })
  @Field(() => AuditCategory)
  category: AuditCategory;

  @Property({ type: "string", length: 16 })
  @Field(() => AuditOutcome)
  outcome: AuditOutcome;

  @Property({ type: "string", length: 16 })
  @Field(() => AuditActorType)
  actorType: AuditActorType;

  @Property({ type: "string", length: 64, nullable: true })
  @Field(() => ID, { nullable: true, description: "The user's id (also for their API keys), or the service's name" })
  actorId?: string | null;

  @Property({ type: "string", length: 64, nullable: true })
  @Field(() => String, { nullable: true })
  resourceType?: string | null;

  @Property({ type: "string", length: 200, nullable: true })
  @Field(() => String, { nullable: true })
  resourceId?: string | null;

  @Property({ type: "string", length: 64, nullable: true })
  @Field(() => String, { nullable: true, description: "The client's address, where the action saw one" })
  ip?: string | null;

  @Property({ type: "string", length: 128, nullable: true })
  @Field(() => String, { nullable: true })
  requestId?: string | null;

  @Property({ type: "json", nullable: true })
  @Field(() => GraphQLJSON, { nullable: true, description: "Small facts about the action; never a secret" })
  details?: Record<string, unknown> | null;
}
