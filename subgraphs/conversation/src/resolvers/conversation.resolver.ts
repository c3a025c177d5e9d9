import { type SubgraphContext, connectionType } from "@ods/kit";
import { GraphQLJSON } from "graphql-scalars";
import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  Float,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  registerEnumType,
  Resolver,
  Root,
} from "type-graphql";
import { Conversation, Message } from "../entities/index.js";
import { Model, User } from "../federation-stubs.js";
import { ExportFormat } from "../services/conversation-service.js";
import type { ConversationServices } from "../services/index.js";
import { loaders } from "./loaders.js";

type Ctx = SubgraphContext<ConversationServices>;

registerEnumType(ExportFormat, {
  name: "ConversationExportFormat",
  description: "MARKDOWN: the selected branch as a readable document; JSON: settings and every message of every branch",
});

@ObjectType({ description: "Token counts summed over every reply of a conversation, alternatives included." })
export class ConversationUsage {
  @Field(() => Int)
  promptTokens: number;

  @Field(() => Int)
  completionTokens: number;

  @Field(() => Int)
  totalTokens: number;

  @Field(() => Int, { description: "Messages stored in the conversation, on every branch." })
  messageCount: number;
}

@ObjectType()
export class ConversationConnection extends connectionType(() => Conversation, "Conversation") {}

@ArgsType()
class ConversationsArgs {
  @Field(() => Int, { nullable: true })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string;

  @Field(() => String, {
    nullable: true,
    description: "Only conversations whose title or any message contains this text (ignoring case).",
  })
  search?: string;

  @Field(() => Boolean, { nullable: true, description: "true: only pinned ones; false: only unpinned ones." })
  pinned?: boolean;
}

@InputType()
export class CreateConversationInput {
  @Field(() => String, { nullable: true, description: 'Defaults to "New conversation".' })
  title?: string;

  @Field(() => String, { nullable: true, description: "Defaults to the platform's default chat model." })
  modelId?: string;

  @Field(() => String, { nullable: true })
  systemPrompt?: string;

  @Field(() => GraphQLJSON, { nullable: true, description: "`{ temperature?: 0–2, maxTokens?: Int }`" })
  params?: unknown;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      "`{ name, version?: Int, variables?: { name: value } }`: a prompt template (see `promptTemplates`) rendered " +
      "as the first system message of every reply; `systemPrompt`, if set, follows it.",
  })
  promptTemplate?: unknown;

  @Field(() => [ID], { nullable: true, description: "Knowledge bases every reply retrieves from (at most 20)." })
  knowledgeBaseIds?: string[];

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: "`{ mode?: VECTOR | KEYWORD | HYBRID, topK?: 1–100, scoreThreshold?: 0–1, … }`",
  })
  retrieval?: unknown;
}

@InputType({ description: "Omit a field to leave it as it is; null puts it back to its default." })
export class UpdateConversationInput {
  @Field(() => String, { nullable: true })
  title?: string | null;

  @Field(() => String, { nullable: true, description: "null: the platform's default chat model." })
  modelId?: string | null;

  @Field(() => String, { nullable: true })
  systemPrompt?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: "`{ name, version?: Int, variables? }`" })
  promptTemplate?: unknown;

  @Field(() => Float, { nullable: true, description: "0–2; null: the model's default." })
  temperature?: number | null;

  @Field(() => Int, { nullable: true, description: "At least 1; null: the model's default." })
  maxTokens?: number | null;

  @Field(() => [ID], { nullable: true, description: "null or []: no retrieval." })
  knowledgeBaseIds?: string[] | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: "`{ mode?: VECTOR | KEYWORD | HYBRID, topK?: 1–100, scoreThreshold?: 0–1, … }`",
  })
  retrieval?: unknown;
}

@Resolver(() => Conversation)
export class ConversationResolver {
  @Authorized()
  @Query(() => ConversationConnection, {
    description: "The caller's conversations: pinned first, then the most recently active.",
  })
  async conversations(
    @Args(() => ConversationsArgs) args: ConversationsArgs,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<ConversationConnection> {
    return services.conversations.list(em, caller, args);
  }

  @Authorized()
  @Query(() => Conversation, {
    nullable: true,
    description: "NOT_FOUND when it does not exist or belongs to someone else.",
  })
  async conversation(@Arg("id", () => ID) id: string, @Ctx() { em, caller, services }: Ctx): Promise<Conversation> {
    return services.conversations.get(em, caller, id);
  }

  @Authorized()
  @Mutation(() => Conversation)
  async createConversation(
    @Arg("input", () => CreateConversationInput) input: CreateConversationInput,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<Conversation> {
    return services.conversations.create(em, caller, input);
  }

  @Authorized()
  @Mutation(() => Conversation)
  async renameConversation(
    @Arg("id", () => ID) id: string,
    @Arg("title") title: string,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<Conversation> {
    return services.conversations.rename(em, caller, id, title);
  }

  @Authorized()
  @Mutation(() => Conversation, {
    description: "Changes the conversation's settings, from the next reply on. BAD_USER_INPUT writes nothing.",
  })
  async updateConversation(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateConversationInput) input: UpdateConversationInput,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<Conversation> {
    return services.conversations.update(em, caller, id, input);
  }

  @Authorized()
  @Mutation(() => Conversation, { description: "Pinned conversations come first in `conversations`." })
  async pinConversation(
    @Arg("id", () => ID) id: string,
    @Arg("pinned", () => Boolean, { defaultValue: true }) pinned: boolean,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<Conversation> {
    return services.conversations.pin(em, caller, id, pinned);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Deletes the conversation and all its messages." })
  async deleteConversation(@Arg("id", () => ID) id: string, @Ctx() { em, caller, services }: Ctx): Promise<boolean> {
    return services.conversations.delete(em, caller, id);
  }

  @FieldResolver(() => [Message], {
    description: "The selected branch, oldest first; other versions of a turn are in `Message.alternatives`.",
  })
  async messages(@Root() conversation: Conversation, @Ctx() ctx: Ctx): Promise<Message[]> {
    return loaders(ctx).messages.load(conversation.id);
  }

  @FieldResolver(() => ConversationUsage)
  async usage(@Root() conversation: Conversation, @Ctx() ctx: Ctx): Promise<ConversationUsage> {
    return loaders(ctx).usage.load(conversation.id);
  }

  @FieldResolver(() => String, {
    name: "export",
    description: "The conversation as a Markdown or JSON document (messages, models, timestamps, citations).",
  })
  async exportAs(
    @Root() conversation: Conversation,
    @Arg("format", () => ExportFormat) format: ExportFormat,
    @Ctx() { em, services }: Ctx,
  ): Promise<string> {
    return services.conversations.export(em, conversation, format);
  }

  @FieldResolver(() => Float, { nullable: true, description: "From `params`; null: the model's default." })
  temperature(@Root() conversation: Conversation): number | null {
    return conversation.params.temperature ?? null;
  }

  @FieldResolver(() => Int, { nullable: true, description: "From `params`; null: the model's default." })
  maxTokens(@Root() conversation: Conversation): number | null {
    return conversation.params.maxTokens ?? null;
  }

  @FieldResolver(() => Model, { nullable: true })
  model(@Root() conversation: Conversation): Model {
    return { id: conversation.modelId };
  }

  @FieldResolver(() => User, { nullable: true })
  owner(@Root() conversation: Conversation): User {
    return { id: conversation.ownerId };
  }
}
