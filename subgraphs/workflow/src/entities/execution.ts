import { Entity, Enum, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Workflow } from "./workflow.js";

export enum ExecutionStatus {
  PENDING = "PENDING",
  RUNNING = "RUNNING",
  SUCCEEDED = "SUCCEEDED",
  FAILED = "FAILED",
  CANCELLED = "CANCELLED",
}
registerEnumType(ExecutionStatus, { name: "ExecutionStatus" });

/** Statuses of a run that has not ended yet. */
export const ACTIVE_STATUSES: readonly ExecutionStatus[] = [ExecutionStatus.PENDING, ExecutionStatus.RUNNING];

/** Statuses after which an execution never changes again. */
export const FINISHED_STATUSES: readonly ExecutionStatus[] = [
  ExecutionStatus.SUCCEEDED,
  ExecutionStatus.FAILED,
  ExecutionStatus.CANCELLED,
];

/** One run of a workflow at a given version. */
@Entity({ tableName: "workflow_execution" })
@ObjectType()
@Directive('@key(fields: "id")')
export class Execution {
  [OptionalProps]?: "status" | "inputs" | "lastSeq" | "createdAt" | "heartbeatAt";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @ManyToOne(() => Workflow, { deleteRule: "cascade", index: true })
  workflow: Rel<Workflow>;

  @Property({ type: "integer" })
  @Field(() => Int, { description: "The workflow's version when the run started." })
  workflowVersion: number;

  @Enum({ items: () => ExecutionStatus, type: "string", length: 16 })
  @Field(() => ExecutionStatus)
  status: ExecutionStatus = ExecutionStatus.PENDING;

  @Property({ type: "json" })
  @Field(() => GraphQLJSON)
  inputs: Record<string, unknown> = {};

  @Property({ type: "json", nullable: true })
  @Field(() => GraphQLJSON, { nullable: true, description: "What the output nodes produced, by output name." })
  outputs?: Record<string, unknown> | null;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  error?: string | null;

  @Property({ type: "integer" })
  @Field(() => Int, { description: "The sequence number of the last event emitted so far." })
  lastSeq: number = 0;

  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  startedAt?: Date | null;

  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt?: Date | null;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  /**
   * Touched every few seconds by the process that runs it: a PENDING or RUNNING row whose heartbeat is stale
   * belongs to a process that died, and any replica may then end it as FAILED.
   */
  @Property({ type: "datetime" })
  heartbeatAt: Date = new Date();

  @Property({ type: "string", length: 36 })
  @Field(() => ID, { description: "The id of the user who started the run." })
  triggeredBy: string;
}
