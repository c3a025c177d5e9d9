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
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { Conversation, Message } from "../entities/index.js";
import { Model, User } from "../federation-stubs.js";
import type { ConversationServices } from "../services/index.js";

type Ctx = SubgraphContext<ConversationServices>;

@ObjectType()
export class ConversationConnection extends connectionType(() => Conversation, "Conversation") {}

@ArgsType()
class ConversationsArgs {
  @Field(() => Int, { nullable: true })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string;

  @Field(() => String, { nullable: true, description: "Only conversations whose title contains this text." })
  search?: string;
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
}

@Resolver(() => Conversation)
export class ConversationResolver {
  @Authorized()
  @Query(() => ConversationConnection, { description: "The caller's conversations, most recently active first." })
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
  @Mutation(() => Boolean, { description: "Deletes the conversation and all its messages." })
  async deleteConversation(@Arg("id", () => ID) id: string, @Ctx() { em, caller, services }: Ctx): Promise<boolean> {
    return services.conversations.delete(em, caller, id);
  }

  @FieldResolver(() => [Message], { description: "Oldest first." })
  async messages(@Root() conversation: Conversation, @Ctx() { em, services }: Ctx): Promise<Message[]> {
    return services.conversations.messages(em, conversation.id);
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
