import { PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";

/** How much a share lets its principal do: see and use (`VIEWER`) or also change (`EDITOR`). */
export enum SharePermission {
  VIEWER = "VIEWER",
  EDITOR = "EDITOR",
}

/** Whom a share is for: one user, or everyone who has a role. */
export enum SharePrincipalType {
  USER = "USER",
  ROLE = "ROLE",
}

/**
 * One grant of access to one resource. Each subgraph that owns shareable resources keeps these in its own
 * database: subclass it with `@Entity` and the subgraph's table prefix, e.g.
 *
 * @example
 * ```ts
 * @Entity({ tableName: "workflow_resource_share" })
 * @Unique({ properties: ["resourceType", "resourceId", "principalType", "principalId"] })
 * @Index({ properties: ["principalType", "principalId", "resourceType"] })
 * export class WorkflowShare extends ResourceShareBase {}
 * ```
 *
 * Give each subgraph's subclass its own class name: MikroORM keeps decorator metadata by class name, so two
 * `ResourceShare` classes loaded in one process (tests, `npm run migrations`) would share one table name.
 *
 * @remarks A mapped superclass rather than one kit entity: every subgraph has its own tables (and, beyond the
 * embedded profile, often its own database), and a grant lives beside the resource it opens.
 */
export abstract class ResourceShareBase {
  @PrimaryKey({ type: "string", length: 36 })
  id: string = randomUUID();

  /** The GraphQL type of the resource, e.g. `Workflow`. */
  @Property({ type: "string", length: 40 })
  resourceType: string;

  @Property({ type: "string", length: 36 })
  resourceId: string;

  @Property({ type: "string", length: 8 })
  principalType: SharePrincipalType;

  /** A user id, or a role name (`admin`, `editor`, `viewer`). */
  @Property({ type: "string", length: 36 })
  principalId: string;

  /** The user's email when the share was made, to show whom it is for without asking identity again. */
  @Property({ type: "string", length: 320, nullable: true })
  principalEmail?: string | null;

  @Property({ type: "string", length: 8 })
  permission: SharePermission;

  @Property({ type: "string", length: 36 })
  createdById: string;

  @Property({ type: "datetime" })
  createdAt: Date = new Date();
}
