import { Entity, Index, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType } from "type-graphql";

/** How a model or one of its endpoints answered its last health check. */
export enum ModelStatus {
  READY = "READY",
  DEGRADED = "DEGRADED",
  UNAVAILABLE = "UNAVAILABLE",
}

/**
 * One upstream of an OpenAI-compatible model. A model may have several: calls are balanced over them by weight
 * and fail over from one to the next. The first (position 0) mirrors the model's own `baseUrl` and API key.
 * `breakerState` is not stored: it is the running process's circuit breaker, resolved per request.
 */
@Entity({ tableName: "model_endpoint" })
@Index({ properties: ["modelId", "position"] })
@ObjectType({ description: "One upstream of a model, with its last health check" })
export class ModelEndpoint {
  [OptionalProps]?: "weight" | "position" | "status" | "createdAt" | "hasApiKey";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 36 })
  modelId: string;

  /** Order of registration; 0 is the model's own baseUrl. */
  @Property({ type: "integer" })
  position: number = 0;

  @Property({ type: "string", length: 2000 })
  @Field({ description: "The upstream's OpenAI-compatible base URL, e.g. http://host:8000/v1" })
  baseUrl: string;

  @Property({ type: "text", nullable: true, hidden: true })
  apiKeyEncrypted?: string | null;

  @Property({ type: "integer" })
  @Field(() => Int, { description: "Share of the traffic relative to the other endpoints; 0 takes only failovers" })
  weight: number = 1;

  @Property({ type: "string", length: 16 })
  @Field(() => ModelStatus, { description: "The last health check's verdict (READY until first checked)" })
  status: ModelStatus = ModelStatus.READY;

  @Property({ type: "integer", nullable: true })
  @Field(() => Int, { nullable: true, description: "How long the last health check took, in milliseconds" })
  latencyMs?: number | null;

  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true, description: "When it was last checked; null if never" })
  checkedAt?: Date | null;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true, description: "Why the last check did not find it READY" })
  error?: string | null;

  @Property({ type: "datetime" })
  createdAt: Date = new Date();

  @Field(() => Boolean, { description: "Whether an API key is stored for it (the key itself is never returned)" })
  get hasApiKey(): boolean {
    return Boolean(this.apiKeyEncrypted);
  }
}
