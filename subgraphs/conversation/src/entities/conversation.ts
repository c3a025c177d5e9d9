import { Entity, Index, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Directive, Field, ID, ObjectType } from "type-graphql";

/** Generation settings a conversation (or one message) may set; anything unset is the model's default. */
export interface GenerationParams {
  temperature?: number;
  maxTokens?: number;
}

/** A chat with history, owned by one user. */
@Entity({ tableName: "conversation_conversation" })
@Index({ properties: ["ownerId", "updatedAt"] })
@ObjectType()
@Directive('@key(fields: "id")')
export class Conversation {
  [OptionalProps]?: "createdAt" | "updatedAt" | "params" | "systemPrompt";

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

  @Property({ type: "json" })
  @Field(() => GraphQLJSON, { description: "Generation settings: `temperature` (0–2), `maxTokens`." })
  params: GenerationParams = {};

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  /** Moves on every new message, so the newest conversation is the one most recently talked in. */
  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();
}
