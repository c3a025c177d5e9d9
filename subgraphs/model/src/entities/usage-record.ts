import { Entity, Index, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";

/** How a model call ended. */
export type UsageStatus = "ok" | "error" | "cancelled";

/**
 * One model call through the OpenAI-compatible API: who made it, which model and endpoint answered, the tokens,
 * the timings, how it ended and what it cost. Written in batches by the usage recorder; never changed afterwards.
 *
 * @remarks Not a GraphQL type: clients read aggregates (`Model.usage`, `usageReport`, `/v1/usage.csv`). The
 * model's name is copied in so that reports stay readable after a model is renamed or deleted.
 */
@Entity({ tableName: "model_usage_record" })
@Index({ properties: ["modelId", "createdAt"] })
@Index({ properties: ["userId", "createdAt"] })
export class UsageRecord {
  [OptionalProps]?: "createdAt";

  @PrimaryKey({ type: "string", length: 36 })
  id: string = randomUUID();

  @Property({ type: "string", length: 36, nullable: true })
  userId?: string | null;

  @Property({ type: "string", length: 36, nullable: true })
  apiKeyId?: string | null;

  /** The platform service that called on its own behalf or for the user (conversation, workflow, …). */
  @Property({ type: "string", length: 64, nullable: true })
  service?: string | null;

  @Property({ type: "string", length: 36 })
  modelId: string;

  @Property({ type: "string", length: 200 })
  modelName: string;

  /** The upstream base URL that served the call, or "builtin". */
  @Property({ type: "string", length: 2000 })
  endpoint: string;

  /** The API route: chat, embeddings, rerank. */
  @Property({ type: "string", length: 32 })
  operation: string;

  @Property({ type: "integer" })
  promptTokens: number;

  @Property({ type: "integer" })
  completionTokens: number;

  /** Whether the token counts came from the upstream's `usage` (false: counted with the built-in tokenizer). */
  @Property({ type: "boolean" })
  usageReported: boolean;

  @Property({ type: "integer", nullable: true })
  ttftMs?: number | null;

  @Property({ type: "integer" })
  latencyMs: number;

  @Property({ type: "string", length: 16 })
  status: UsageStatus;

  @Property({ type: "string", length: 64, nullable: true })
  errorCode?: string | null;

  /** In the currency of the model's prices; 0 when the model has none. */
  @Property({ type: "double" })
  cost: number;

  @Property({ type: "datetime", index: true })
  createdAt: Date = new Date();
}
