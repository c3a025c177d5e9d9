import { requireUser, notFound, traceMark, type SubgraphContext } from "@ods/kit";
import { GraphQLJSON } from "graphql-scalars";
import {
  Arg,
  Authorized,
  createUnionType,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Resolver,
  Root,
  Subscription,
} from "type-graphql";
import { Citation, Conversation, Message, MessageFeedback, MessageRating } from "../entities/index.js";
import { Model } from "../federation-stubs.js";
import { findOwnedMessage, type StreamItem } from "../services/generation-service.js";
import type { Turn } from "../services/conversation-service.js";
import type { ConversationServices } from "../services/index.js";
import { loaders } from "./loaders.js";
import { abortable } from "./abortable.js";

type Ctx = SubgraphContext<ConversationServices>;

@InputType()
export class SendMessageInput {
  @Field(() => ID, {
    nullable: true,
    description:
      "Omit to start a new conversation, titled after the message, with this input's modelId, params and " +
      "knowledgeBaseIds as its settings.",
  })
  conversationId?: string;

  @Field({ description: "The user's text: not empty, at most 100 000 characters." })
  content: string;

  @Field(() => String, { nullable: true, description: "Overrides the conversation's model for this reply." })
  modelId?: string;

  @Field(() => GraphQLJSON, { nullable: true, description: "Overrides the conversation's params for this reply." })
  params?: unknown;

  @Field(() => [ID], {
    nullable: true,
    description: "Overrides the conversation's knowledge bases for this reply.",
  })
  knowledgeBaseIds?: string[];
}

@ObjectType({ description: "A question and the reply being generated for it." })
export class SendMessagePayload {
  @Field(() => Conversation, { description: "The conversation (new when `sendMessage` had no conversationId)." })
  conversation: Conversation;

  @Field(() => Message)
  userMessage: Message;

  @Field(() => Message, { description: "Status STREAMING: follow it with `messageStream`." })
  assistantMessage: Message;
}

@ObjectType({ description: "A batch of generated text; append `delta` to what came before." })
export class MessageToken {
  @Field(() => Int)
  seq: number;

  @Field()
  delta: string;
}

@ObjectType({
  description: "The sources the reply draws on, sent before its first token when knowledge bases were searched.",
})
export class MessageCitations {
  @Field(() => Int)
  seq: number;

  @Field(() => [Citation])
  citations: Citation[];
}

@ObjectType({
  description:
    "Nothing else was sent for a while (ODS_STREAM_HEARTBEAT_MS): the stream is alive. Not in the log; `seq` " +
    "repeats the last event's (or `afterSeq`), so ignore it when resuming.",
})
export class MessageHeartbeat {
  @Field(() => Int)
  seq: number;
}

@ObjectType({ description: "The reply ended (COMPLETE, or STOPPED by the user); `message` is the stored message." })
export class MessageDone {
  @Field(() => Int)
  seq: number;

  @Field(() => Message)
  message: Message;
}

@ObjectType({ description: "The reply failed; `message` holds the text generated until then." })
export class MessageFailed {
  @Field(() => Int)
  seq: number;

  @Field()
  code: string;

  @Field()
  reason: string;

  @Field(() => Message)
  message: Message;
}

@ObjectType({
  description:
    "The first event of `chat`: the question and the reply were stored (as `sendMessage` returns them). `seq` is " +
    "0; resume a dropped `chat` with `messageStream(assistantMessage.id, afterSeq)`.",
})
export class MessageStarted {
  @Field(() => Int)
  seq: number;

  @Field(() => Conversation, { description: "The conversation (new when the input had no conversationId)." })
  conversation: Conversation;

  @Field(() => Message)
  userMessage: Message;

  @Field(() => Message, { description: "The reply, STREAMING; the events after this one are its stream." })
  assistantMessage: Message;
}

/** One event of `chat`: the stored turn first, then the reply's stream. */
type ChatItem = StreamItem | ({ kind: "started"; seq: 0 } & Turn);

const TYPE_OF: Record<ChatItem["kind"], string> = {
  started: "MessageStarted",
  heartbeat: "MessageHeartbeat",
  citations: "MessageCitations",
  token: "MessageToken",
  done: "MessageDone",
  failed: "MessageFailed",
};

/** The GraphQL type of a `chat` or `messageStream` event. */
export function eventTypeName(event: unknown): string | undefined {
  return TYPE_OF[(event as ChatItem).kind];
}

export const MessageStreamEvent = createUnionType({
  name: "MessageStreamEvent",
  description: "One event of a reply's stream; `seq` rises by one per event.",
  types: () => [MessageToken, MessageCitations, MessageHeartbeat, MessageDone, MessageFailed] as const,
  resolveType: (value) => eventTypeName(value),
});

export const ChatEvent = createUnionType({
  name: "ChatEvent",
  description: "One event of `chat`: MessageStarted, then the reply's events as `messageStream` sends them.",
  types: () => [MessageStarted, MessageToken, MessageCitations, MessageHeartbeat, MessageDone, MessageFailed] as const,
  resolveType: (value) => eventTypeName(value),
});

/** The stored turn as `chat`'s first event, then the reply's stream from its start. */
async function* chatEvents(services: ConversationServices, turn: Turn, signal: AbortSignal): AsyncGenerator<ChatItem> {
  yield { kind: "started", seq: 0, ...turn };
  yield* services.generation.follow(turn.assistantMessage.id, 0, signal);
}

@Resolver(() => Message)
export class MessageResolver {
  @Authorized()
  @Mutation(() => SendMessagePayload, {
    description: "Stores the message and a STREAMING reply, starts generating it, and returns both at once.",
  })
  async sendMessage(
    @Arg("input", () => SendMessageInput) input: SendMessageInput,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<SendMessagePayload> {
    return services.conversations.send(em, caller, input);
  }

  @Authorized()
  @Mutation(() => SendMessagePayload, {
    description:
      "Answers the question again with the conversation's current settings (and `modelId`, when given): " +
      "`messageId` is a reply (its question is asked again) or a question. The earlier replies stay as " +
      "`alternatives`; the new one (STREAMING) is selected. CONFLICT while a reply is being generated.",
  })
  async regenerateMessage(
    @Arg("messageId", () => ID) messageId: string,
    @Arg("modelId", () => String, { nullable: true }) modelId: string | null,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<SendMessagePayload> {
    return services.conversations.regenerate(em, caller, messageId, { modelId });
  }

  @Authorized()
  @Mutation(() => SendMessagePayload, {
    description:
      "Edits one of the user's messages: a new version of it is stored and answered, and becomes the selected " +
      "branch. The old version, with everything after it, stays as an alternative. CONFLICT while a reply is " +
      "being generated.",
  })
  async editMessage(
    @Arg("messageId", () => ID) messageId: string,
    @Arg("content") content: string,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<SendMessagePayload> {
    return services.conversations.edit(em, caller, messageId, content);
  }

  @Authorized()
  @Mutation(() => Conversation, {
    description:
      "Switches to another version of a turn (any of `Message.alternatives`): it, its earlier turns and the " +
      "turns last selected after it become `Conversation.messages`, which later replies take as history.",
  })
  async selectAlternative(
    @Arg("messageId", () => ID) messageId: string,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<Conversation> {
    return services.conversations.select(em, caller, messageId);
  }

  @Authorized()
  @Mutation(() => Message, { description: "Rates a reply; NONE takes the rating back. Stored as `feedback`." })
  async rateMessage(
    @Arg("messageId", () => ID) messageId: string,
    @Arg("rating", () => MessageRating) rating: MessageRating,
    @Arg("comment", () => String, { nullable: true }) comment: string | null,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<Message> {
    return services.conversations.rate(em, caller, messageId, { rating, comment });
  }

  @Authorized()
  @Mutation(() => Message, { description: "Stops a STREAMING reply (text kept, status STOPPED)." })
  async stopGeneration(
    @Arg("messageId", () => ID) messageId: string,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<Message> {
    return services.generation.stop(em, caller, messageId);
  }

  @Authorized()
  @Subscription(() => MessageStreamEvent, {
    description:
      "The reply's events after `afterSeq` (default: from the start), ending with MessageDone or MessageFailed.",
    subscribe: async ({ args, context }) => {
      const { caller, em, services } = context as Ctx;
      requireUser(caller);
      const { messageId, afterSeq } = args as { messageId: string; afterSeq?: number | null };
      if (!(await findOwnedMessage(em, caller, messageId))) throw notFound("Message", messageId);
      return abortable((signal) => services.generation.follow(messageId, Math.max(0, afterSeq ?? 0), signal));
    },
  })
  messageStream(
    @Root() event: StreamItem,
    @Arg("messageId", () => ID) _messageId: string,
    @Arg("afterSeq", () => Int, { nullable: true }) _afterSeq?: number,
  ): typeof MessageStreamEvent {
    return event as unknown as typeof MessageStreamEvent;
  }

  @Authorized()
  @Subscription(() => ChatEvent, {
    description:
      "`sendMessage` and `messageStream` in one operation, so the reply's first token comes a round trip sooner: " +
      "stores the message and a STREAMING reply (errors as `sendMessage`'s, before any event), then sends " +
      "MessageStarted and the reply's events, ending with MessageDone or MessageFailed. Unsubscribing does not " +
      "stop the reply (`stopGeneration` does); `messageStream` picks it up again.",
    subscribe: async ({ args, context }) => {
      const { caller, em, services } = context as Ctx;
      requireUser(caller);
      traceMark("conversation.chat");
      const turn = await services.conversations.send(em, caller, (args as { input: SendMessageInput }).input);
      return abortable((signal) => chatEvents(services, turn, signal));
    },
  })
  chat(@Root() event: ChatItem, @Arg("input", () => SendMessageInput) _input: SendMessageInput): typeof ChatEvent {
    return event as unknown as typeof ChatEvent;
  }

  @FieldResolver(() => Model, { nullable: true })
  model(@Root() message: Message): Model | null {
    return message.modelId ? { id: message.modelId } : null;
  }

  @FieldResolver(() => [Message], {
    description: "Every version of this turn, this one included, by `alternativeIndex`.",
  })
  async alternatives(@Root() message: Message, @Ctx() ctx: Ctx): Promise<Message[]> {
    return loaders(ctx).alternatives.load(message);
  }

  @FieldResolver(() => MessageFeedback, { nullable: true, description: "Set by `rateMessage`." })
  feedback(@Root() message: Message): MessageFeedback | null {
    const stored = message.feedback;
    return stored ? { rating: stored.rating, comment: stored.comment, updatedAt: new Date(stored.updatedAt) } : null;
  }
}
