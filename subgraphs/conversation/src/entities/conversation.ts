import { Entity, Index, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Directive, Field, ID, ObjectType } from "type-graphql";

/** Generation settings a conversation (or one message) may set; anything unset is the model's default. */
export interface GenerationParams {
  temperature?: number;
  maxTokens?: number;
}

/**
 * A prompt template of the model subgraph that frames every reply of a conversation: sent to the model API as
 * the `prompt_template` extension, which renders it as the first system message.
 */
export interface ConversationPromptTemplate {
  name: string;
  version?: number;
  variables?: Record<string, unknown>;
}

/** A chat with history, owned by one user. */
@Entity({ tableName: "conversation_conversation" })
// The list's order: pinned first, then most recently active.
@Index({ properties: ["ownerId", "pinned", "updatedAt"] })
@ObjectType()
@Directive('@key(fields: "id")')
export class Conversation {
  [OptionalProps]?:
    | "createdAt"
    | "updatedAt"
    | "params"
    | "systemPrompt"
    | "promptTemplate"
    | "pinned"
    | "knowledgeBaseIds"
    | "retrieval"
    | "revision";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 200 })
  @Field()
  title: string;

  @Property({ type: "string", length: 36 })
  @Field(() => ID)
  ownerId: string;

  @Property({ type: "string", length: 200 })
  @Field()
  modelId: string;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  systemPrompt?: string | null;

  @Property({ type: "json", nullable: true })
  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      "`{ name, version?, variables? }`: a prompt template of the model subgraph, rendered as the first system " +
      "message of every reply (before `systemPrompt`)",
  })
  promptTemplate?: ConversationPromptTemplate | null;

  @Property({ type: "json" })
  @Field(() => GraphQLJSON, { description: "Generation settings: `temperature` (0–2), `maxTokens`." })
  params: GenerationParams = {};

  @Property({ type: "boolean" })
  @Field({ description: "Pinned conversations come first in `conversations`." })
  pinned: boolean = false;

  @Property({ type: "json" })
  @Field(() => [ID], { description: "The knowledge bases replies in this conversation draw on (RAG)." })
  knowledgeBaseIds: string[] = [];

  @Property({ type: "json", nullable: true })
  @Field(() => GraphQLJSON, {
    nullable: true,
    description: "Retrieval settings for the knowledge bases (top-k, mode, threshold…); null: the defaults.",
  })
  retrieval?: Record<string, unknown> | null;

  /**
   * Rises by one with every change to the selected branch (send, regenerate, edit, select). Each such change
   * moves it from the value it read to the next in the same transaction, so of two racing changes one fails
   * (CONFLICT) instead of both forking the conversation.
   */
  @Property({ type: "integer" })
  revision: number = 0;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  /** Moves on every new message, so the newest conversation is the one most recently talked in. */
  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();
}
