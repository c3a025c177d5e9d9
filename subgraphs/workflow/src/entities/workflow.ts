import { Entity, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Directive, Field, ID, Int, ObjectType } from "type-graphql";

/** One step of a workflow graph; `config` is checked against the node type's schema. */
export interface WorkflowNode {
  id: string;
  type: string;
  name?: string;
  config: Record<string, unknown>;
  position?: { x: number; y: number };
}

/** A directed edge: `target` runs after `source` and may read its output. */
export interface WorkflowEdge {
  id?: string;
  source: string;
  target: string;
}

/** A graph of nodes that a user runs; every change to the graph raises `version`. */
@Entity({ tableName: "workflow_workflow" })
@ObjectType()
@Directive('@key(fields: "id")')
export class Workflow {
  [OptionalProps]?: "description" | "version" | "createdAt" | "updatedAt" | "lastExecutionId";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 200 })
  @Field()
  name: string;

  @Property({ type: "text" })
  @Field()
  description: string = "";

  @Property({ type: "string", length: 36, index: true })
  ownerId: string;

  @Property({ type: "json" })
  @Field(() => GraphQLJSON, { description: "`[{ id, type, name?, config, position? }]`" })
  nodes: WorkflowNode[];

  @Property({ type: "json" })
  @Field(() => GraphQLJSON, { description: "`[{ id?, source, target }]`" })
  edges: WorkflowEdge[];

  @Property({ type: "integer" })
  @Field(() => Int, { description: "Starts at 1 and rises by one on every change to the graph." })
  version: number = 1;

  /**
   * The newest execution, kept here so that `lastExecution` over a list of workflows is one lookup by ids rather
   * than a "newest per group" query. A plain column (no foreign key) so the two tables do not reference each
   * other in a circle.
   */
  @Property({ type: "string", length: 36, nullable: true })
  lastExecutionId?: string | null;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime", onUpdate: () => new Date() })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();
}
