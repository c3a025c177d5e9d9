import { requireUser, notFound, type SubgraphContext } from "@ods/kit";
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
import { Message } from "../entities/index.js";
import { Model } from "../federation-stubs.js";
import { findOwnedMessage, type StreamItem } from "../services/generation-service.js";
import type { ConversationServices } from "../services/index.js";

type Ctx = SubgraphContext<ConversationServices>;

@InputType()
export class SendMessageInput {
  @Field(() => ID)
  conversationId: string;

  @Field({ description: "The user's text: not empty, at most 100 000 characters." })
  content: string;

  @Field(() => String, { nullable: true, description: "Overrides the conversation's model for this reply." })
  modelId?: string;

  @Field(() => GraphQLJSON, { nullable: true, description: "Overrides the conversation's params for this reply." })
  params?: unknown;
}

@ObjectType()
export class SendMessagePayload {
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

const TYPE_OF: Record<StreamItem["kind"], string> = {
  token: "MessageToken",
  done: "MessageDone",
  failed: "MessageFailed",
};

export const MessageStreamEvent = createUnionType({
  name: "MessageStreamEvent",
  description: "One event of a reply's stream; `seq` rises by one per event.",
  types: () => [MessageToken, MessageDone, MessageFailed] as const,
  resolveType: (value) => TYPE_OF[(value as unknown as StreamItem).kind],
});

/**
 * Wraps a generator so that `return()` (the client unsubscribed) takes effect at once: it aborts `signal`, which
 * wakes a generator that is waiting for the next event, instead of queueing behind that wait.
 */
function abortable<T>(start: (signal: AbortSignal) => AsyncGenerator<T>): AsyncIterableIterator<T> {
  const controller = new AbortController();
  const inner = start(controller.signal);
  return {
    next: () => inner.next(),
    return: async (value?: unknown) => {
      controller.abort();
      await inner.return(undefined);
      return { done: true, value: value as T };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
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

  @FieldResolver(() => Model, { nullable: true })
  model(@Root() message: Message): Model | null {
    return message.modelId ? { id: message.modelId } : null;
  }
}
