import { Entity, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";

export enum ModelKind {
  CHAT = "CHAT",
  EMBEDDING = "EMBEDDING",
  RERANK = "RERANK",
}
registerEnumType(ModelKind, {
  name: "ModelKind",
  description: "CHAT: /v1/chat/completions; EMBEDDING: /v1/embeddings; RERANK: /v1/rerank",
});

export enum ModelProvider {
  BUILTIN = "BUILTIN",
  OPENAI_COMPATIBLE = "OPENAI_COMPATIBLE",
}
registerEnumType(ModelProvider, {
  name: "ModelProvider",
  description: "BUILTIN: shipped offline models; OPENAI_COMPATIBLE: vLLM, Ollama, OpenAI, TEI or anything speaking /v1",
});

/** The fixed ids (and names) of the built-in models, upserted at every start. */
export const BUILTIN_CHAT_ID = "builtin-offline";
export const BUILTIN_EMBEDDER_ID = "builtin-embedder";
export const BUILTIN_RERANKER_ID = "builtin-reranker";

/**
 * A model clients can call by `name` through the OpenAI-compatible API. The upstream API key is stored
 * encrypted and is never a GraphQL field: clients only learn whether one is set (`hasApiKey`).
 */
@Entity({ tableName: "model_model" })
@ObjectType()
@Directive('@key(fields: "id")')
export class Model {
  [OptionalProps]?: "createdAt" | "updatedAt" | "hasApiKey" | "tags";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 200, unique: true })
  @Field({ description: "What clients pass as `model` to the OpenAI-compatible API" })
  name: string;

  @Property({ type: "string", length: 16 })
  @Field(() => ModelKind)
  kind: ModelKind;

  @Property({ type: "string", length: 32 })
  @Field(() => ModelProvider)
  provider: ModelProvider;

  @Property({ type: "string", length: 2000, nullable: true })
  @Field(() => String, {
    nullable: true,
    description: "The upstream's OpenAI-compatible base URL, e.g. http://host:8000/v1",
  })
  baseUrl?: string | null;

  @Property({ type: "text", nullable: true, hidden: true })
  apiKeyEncrypted?: string | null;

  @Property({ type: "string", length: 200, nullable: true })
  @Field(() => String, { nullable: true, description: "The model name the upstream knows; defaults to `name`" })
  upstreamModel?: string | null;

  @Property({ type: "integer", nullable: true })
  @Field(() => Int, { nullable: true, description: "Context window in tokens" })
  contextLength?: number | null;

  @Property({ type: "integer", nullable: true })
  @Field(() => Int, { nullable: true, description: "Vector length of an embedding model" })
  dimensions?: number | null;

  @Property({ type: "json", nullable: true })
  @Field(() => GraphQLJSON, {
    nullable: true,
    description: "Request parameters applied when a call does not set them (temperature, max_tokens, …)",
  })
  defaultParams?: Record<string, unknown> | null;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  description?: string | null;

  @Property({ type: "json" })
  @Field(() => [String], { description: 'Free labels for finding models, e.g. `models(tag: "prod")`' })
  tags: string[] = [];

  @Property({ type: "string", length: 36, nullable: true, index: true })
  @Field(() => ID, { nullable: true, description: "Who registered the model; null for the built-ins" })
  ownerId?: string | null;

  @Property({ type: "double", nullable: true })
  @Field(() => Float, { nullable: true, description: "Price per 1,000 prompt tokens, for usage costs" })
  pricePer1kPrompt?: number | null;

  @Property({ type: "double", nullable: true })
  @Field(() => Float, { nullable: true, description: "Price per 1,000 completion tokens, for usage costs" })
  pricePer1kCompletion?: number | null;

  /** Requests per minute over all callers of this model; null is unlimited (the `limits` field shows it). */
  @Property({ type: "integer", nullable: true })
  limitRequestsPerMinute?: number | null;

  /** Prompt + completion tokens per day over all callers of this model; null is unlimited. */
  @Property({ type: "integer", nullable: true })
  limitTokensPerDay?: number | null;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime", onUpdate: () => new Date() })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();

  @Field(() => Boolean, { description: "Whether an upstream API key is stored (the key itself is never returned)" })
  get hasApiKey(): boolean {
    return Boolean(this.apiKeyEncrypted);
  }
}
