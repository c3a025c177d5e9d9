import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Citation } from "./citation.js";
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

export enum MessageRating {
  UP = "UP",
  DOWN = "DOWN",
  NONE = "NONE",
}
registerEnumType(MessageRating, { name: "MessageRating", description: "NONE takes a rating back" });

/** What `rateMessage` stores on a reply. */
export interface MessageFeedbackData {
  rating: MessageRating;
  comment: string | null;
  /** ISO 8601 (a JSON column holds no dates). */
  updatedAt: string;
}

@ObjectType({ description: "The user's rating of a reply, with an optional comment." })
export class MessageFeedback {
  @Field(() => MessageRating)
  rating: MessageRating;

  @Field(() => String, { nullable: true })
  comment?: string | null;

  @Field(() => GraphQLDateTime)
  updatedAt: Date;
}

/**
 * One turn of a conversation: the user's text or the model's reply.
 *
 * @remarks Messages form a tree: `parentId` is the turn before (null for a first question). Versions of one turn
 * (a regenerated reply, an edited question) are siblings with the same parent, numbered by `alternativeIndex`.
 * The selected branch is the path of rows with `selected` true, one per `position` (the depth); history, the
 * `messages` list and export follow it, and the other branches stay stored for the user to switch back to.
 */
@Entity({ tableName: "conversation_message" })
@Index({ properties: ["conversation", "position"] })
@Index({ properties: ["status"] })
@ObjectType()
@Directive('@key(fields: "id")')
export class Message {
  [OptionalProps]?:
    | "createdAt"
    | "updatedAt"
    | "lastSeq"
    | "parentId"
    | "selected"
    | "selectedRevision"
    | "alternativeIndex"
    | "feedback"
    | "citations";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  // Rel<> keeps emitDecoratorMetadata from referencing the class at load time (STACK.md pitfall 11).
  @ManyToOne(() => Conversation, { deleteRule: "cascade" })
  conversation: Rel<Conversation>;

  /** Depth in the conversation (1 for a first question); timestamps can tie (and MariaDB's are whole seconds). */
  @Property({ type: "integer" })
  @Field(() => Int, { description: "1 for the first question, 2 for its reply, and so on." })
  position: number;

  @Property({ type: "string", length: 36, nullable: true })
  @Field(() => ID, { nullable: true, description: "The message this one follows; null for a first question." })
  parentId?: string | null;

  @Property({ type: "boolean" })
  @Field({ description: "True when the message is on the conversation's selected branch (see `messages`)." })
  selected: boolean = true;

  /**
   * The conversation's `revision` when the message was last put on the selected branch: switching back to a turn
   * re-selects, below it, the path the user last had (a counter, since MariaDB's timestamps are whole seconds).
   */
  @Property({ type: "integer" })
  selectedRevision: number = 0;

  @Property({ type: "integer" })
  @Field(() => Int, { description: "1-based number of this version among `alternatives`." })
  alternativeIndex: number = 1;

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

  @Property({ type: "json" })
  @Field(() => [Citation], { description: "The sources a reply drew on; empty without knowledge bases." })
  citations: Citation[] = [];

  @Property({ type: "json", nullable: true })
  feedback?: MessageFeedbackData | null;

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
