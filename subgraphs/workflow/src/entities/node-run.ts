import { Entity, Enum, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Execution } from "./execution.js";

export enum NodeRunStatus {
  RUNNING = "RUNNING",
  SUCCEEDED = "SUCCEEDED",
  FAILED = "FAILED",
  SKIPPED = "SKIPPED",
}
registerEnumType(NodeRunStatus, { name: "NodeRunStatus" });

/** What one node did in one execution: what it read, what it produced, how long it took, how it failed. */
@Entity({ tableName: "workflow_node_run" })
@ObjectType()
export class NodeRun {
  [OptionalProps]?: "inputs" | "status";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @ManyToOne(() => Execution, { deleteRule: "cascade", index: true })
  execution: Rel<Execution>;

  /** The node's place in the run order, so node runs list in the order they ran. */
  @Property({ type: "integer" })
  position: number;

  @Property({ type: "string", length: 64 })
  @Field()
  nodeId: string;

  @Property({ type: "string", length: 64 })
  @Field()
  nodeType: string;

  @Enum({ items: () => NodeRunStatus, type: "string", length: 16 })
  @Field(() => NodeRunStatus)
  status: NodeRunStatus = NodeRunStatus.RUNNING;

  @Property({ type: "json" })
  @Field(() => GraphQLJSON)
  inputs: Record<string, unknown> = {};

  @Property({ type: "json", nullable: true })
  @Field(() => GraphQLJSON, { nullable: true })
  outputs?: Record<string, unknown> | null;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  error?: string | null;

  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  startedAt?: Date | null;

  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt?: Date | null;

  @Property({ type: "integer", nullable: true })
  @Field(() => Int, { nullable: true })
  durationMs?: number | null;
}
