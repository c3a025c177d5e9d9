import { sql, UniqueConstraintViolationException, type EntityManager } from "@mikro-orm/core";
import { conflict, notFound, pageWindow, parseInput, toPage, type Caller, type Page, type PubSub } from "@ods/kit";
import { z } from "zod";
import { Conversation, Message, MessageRole, MessageStatus, type GenerationParams } from "../entities/index.js";
import type { GenerationService } from "./generation-service.js";
import { STOP_CHANNEL } from "./stream-events.js";

/** The most a single message may hold. */
export const MAX_MESSAGE_CHARS = 100_000;

const params = z
  .object({
    temperature: z.number().min(0, "must be between 0 and 2").max(2, "must be between 0 and 2").optional(),
    maxTokens: z.number().int("must be a whole number").min(1, "must be at least 1").max(1_000_000).optional(),
  })
  .strict();

const modelId = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const title = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");

/** The model subgraph's `prompt_template` reference; it checks that the template exists when a reply is made. */
const promptTemplate = z
  .object({
    name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
    version: z.number().int("must be a whole number").min(1, "must be at least 1").optional(),
    variables: z.record(z.string(), z.unknown(), { error: "must be an object of name: value" }).optional(),
  })
  .strict();

const createInput = z.object({
  title: title.default("New conversation"),
  modelId: modelId.optional(),
  systemPrompt: z.string().max(MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS} characters`).optional(),
  params: params.default({}),
  promptTemplate: promptTemplate.optional(),
});

const sendInput = z.object({
  conversationId: z.string().min(1, "must not be empty").max(64),
  content: z
    .string()
    .max(MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS} characters`)
    .refine((s) => s.trim().length > 0, "must not be empty"),
  modelId: modelId.optional(),
  params: params.default({}),
});

/** GraphQL gives `null` for an omitted optional field; zod's defaults apply to `undefined`. */
const withoutNulls = (input: object) =>
  Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined));

export interface CreateConversation {
  title?: string | null;
  modelId?: string | null;
  systemPrompt?: string | null;
  params?: unknown;
  promptTemplate?: unknown;
}

export interface SendMessage {
  conversationId: string;
  content: string;
  modelId?: string | null;
  params?: unknown;
}

/** Conversations and their messages; every read and write is limited to the caller's own conversations. */
export class ConversationService {
  constructor(
    private readonly generation: GenerationService,
    private readonly pubsub: PubSub,
    private readonly defaultModelId: string,
  ) {}

  /** The caller's conversations, most recently active first, optionally filtered by a title substring. */
  async list(
    em: EntityManager,
    caller: Caller,
    args: { first?: number | null; after?: string | null; search?: string | null },
  ): Promise<Page<Conversation>> {
    const { offset, limit } = pageWindow(args);
    const search = args.search?.trim();
    const [rows, total] = await em.findAndCount(
      Conversation,
      {
        ownerId: caller.userId!,
        // lower() on both sides: LIKE is case-sensitive on PostgreSQL but not on SQLite or MariaDB.
        ...(search ? { [sql.lower("title")]: { $like: `%${search.toLowerCase()}%` } } : {}),
      },
      { orderBy: { updatedAt: "desc", id: "asc" }, offset, limit },
    );
    return toPage(rows, offset, total);
  }

  /** The caller's conversation, or null (also when it belongs to someone else). */
  async find(em: EntityManager, caller: Caller, id: string): Promise<Conversation | null> {
    if (!caller.userId) return null;
    return em.findOne(Conversation, { id, ownerId: caller.userId });
  }

  async get(em: EntityManager, caller: Caller, id: string): Promise<Conversation> {
    const conversation = await this.find(em, caller, id);
    if (!conversation) throw notFound("Conversation", id);
    return conversation;
  }

  async create(em: EntityManager, caller: Caller, input: CreateConversation): Promise<Conversation> {
    const data = parseInput(createInput, withoutNulls(input));
    const conversation = em.create(Conversation, {
      title: data.title,
      ownerId: caller.userId!,
      modelId: data.modelId ?? this.defaultModelId,
      systemPrompt: data.systemPrompt ?? null,
      params: data.params,
      promptTemplate: data.promptTemplate ?? null,
    });
    await em.persistAndFlush(conversation);
    return conversation;
  }

  async rename(em: EntityManager, caller: Caller, id: string, newTitle: string): Promise<Conversation> {
    const value = parseInput(z.object({ title }), { title: newTitle }).title;
    const conversation = await this.get(em, caller, id);
    conversation.title = value;
    conversation.updatedAt = new Date();
    await em.flush();
    return conversation;
  }

  /** Deletes the conversation and its messages; replies still generating there are stopped first. */
  async delete(em: EntityManager, caller: Caller, id: string): Promise<boolean> {
    const conversation = await this.get(em, caller, id);
    const streaming = await em.find(
      Message,
      { conversation: conversation.id, status: MessageStatus.STREAMING },
      { fields: ["id"] },
    );
    for (const m of streaming) await this.pubsub.publish(STOP_CHANNEL, { messageId: m.id });
    await em.transactional(async (tx) => {
      await tx.nativeDelete(Message, { conversation: conversation.id });
      await tx.nativeDelete(Conversation, { id: conversation.id });
    });
    return true;
  }

  /** The conversation's messages, oldest first. */
  async messages(em: EntityManager, conversationId: string): Promise<Message[]> {
    return em.find(Message, { conversation: conversationId }, { orderBy: { position: "asc" } });
  }

  /**
   * Stores the user's message and an empty assistant reply (STREAMING), starts generating it in the
   * background and returns both at once.
   */
  async send(
    em: EntityManager,
    caller: Caller,
    input: SendMessage,
  ): Promise<{ userMessage: Message; assistantMessage: Message }> {
    const data = parseInput(sendInput, withoutNulls(input));
    const conversation = await this.get(em, caller, data.conversationId);
    const busy = await em.count(Message, { conversation: conversation.id, status: MessageStatus.STREAMING });
    if (busy > 0) throw conflict("A reply is still being generated in this conversation: stop it or wait for it");
    const last = await em.findOne(
      Message,
      { conversation: conversation.id },
      { orderBy: { position: "desc" }, fields: ["position"] },
    );
    const position = (last?.position ?? 0) + 1;
    const now = new Date();
    // One transaction: a send that loses the race for `position` (unique) writes neither message.
    let created: { userMessage: Message; assistantMessage: Message };
    try {
      created = await em.transactional(async (tx) => {
        const userMessage = tx.create(Message, {
          conversation,
          position,
          role: MessageRole.USER,
          content: data.content,
          status: MessageStatus.COMPLETE,
          createdAt: now,
          updatedAt: now,
        });
        const assistantMessage = tx.create(Message, {
          conversation,
          position: position + 1,
          role: MessageRole.ASSISTANT,
          content: "",
          status: MessageStatus.STREAMING,
          modelId: data.modelId ?? conversation.modelId,
          createdAt: now,
          updatedAt: now,
        });
        await tx.nativeUpdate(Conversation, { id: conversation.id }, { updatedAt: now });
        return { userMessage, assistantMessage };
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        throw conflict("a reply is already being generated in this conversation");
      }
      throw err;
    }
    conversation.updatedAt = now;
    const { userMessage, assistantMessage } = created;
    const generationParams: GenerationParams = { ...conversation.params, ...data.params };
    this.generation.generate({ messageId: assistantMessage.id, caller, params: generationParams });
    return { userMessage, assistantMessage };
  }
}
