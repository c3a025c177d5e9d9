import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Rel } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Conversation } from "./conversation.js";
import { LongTextType } from "./long-text.js";

export enum MessageRole {
  USER = "USER",
  ASSISTANT = "ASSISTANT",
  SYSTEM = "SYSTEM",
}
registerEnumType(MessageRole, { name: "MessageRole" });

export enum MessageStatus {
  STREAMING = "STREAMING",
  COMPLETE = "COMPLETE",
  STOPPED = "STOPPED",
  FAILED = "FAILED",
}
registerEnumType(MessageStatus, {
  name: "MessageStatus",
  description: "STREAMING while the reply is generated; then COMPLETE, STOPPED (by the user) or FAILED",
});

/** Token counts as the model reported them. */
@ObjectType()
export class MessageUsage {
  @Field(() => Int)
  promptTokens: number;

  @Field(() => Int)
  completionTokens: number;

  @Field(() => Int)
  totalTokens: number;
}

/** One turn of a conversation: the user's text or the model's reply. */
@Entity({ tableName: "conversation_message" })
// Unique: two sends racing for the same position must not both succeed (the loser gets CONFLICT).
@Unique({ properties: ["conversation", "position"] })
@Index({ properties: ["status"] })
@ObjectType()
@Directive('@key(fields: "id")')
export class Message {
  [OptionalProps]?: "createdAt" | "updatedAt" | "lastSeq";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  // Rel<> keeps emitDecoratorMetadata from referencing the class at load time (STACK.md pitfall 11).
  @ManyToOne(() => Conversation, { deleteRule: "cascade" })
  conversation: Rel<Conversation>;

  /** Order within the conversation; timestamps can tie (and MariaDB's are whole seconds). */
  @Property({ type: "integer" })
  position: number;

  @Enum({ items: () => MessageRole, type: "string", length: 16 })
  @Field(() => MessageRole)
  role: MessageRole;

  // No column default: MySQL refuses one on TEXT columns; every insert sets it.
  @Property({ type: LongTextType })
  @Field()
  content: string;

  @Enum({ items: () => MessageStatus, type: "string", length: 16 })
  @Field(() => MessageStatus)
  status: MessageStatus;

  @Property({ type: "string", length: 200, nullable: true })
  @Field(() => String, { nullable: true })
  modelId?: string | null;

  @Property({ type: "json", nullable: true })
  @Field(() => MessageUsage, { nullable: true })
  usage?: MessageUsage | null;

  @Property({ type: "integer", nullable: true })
  @Field(() => Int, { nullable: true, description: "Milliseconds from the request to the first token." })
  ttftMs?: number | null;

  @Property({ type: "integer", nullable: true })
  @Field(() => Int, { nullable: true, description: "Milliseconds from the request to the end of the reply." })
  latencyMs?: number | null;

  @Property({ type: "string", length: 64, nullable: true })
  @Field(() => String, { nullable: true })
  errorCode?: string | null;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  errorReason?: string | null;

  /** Sequence number of the last event of this message's stream (the terminal one once it has ended). */
  @Property({ type: "integer" })
  @Field(() => Int)
  lastSeq: number = 0;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();
}
