import { raw, type EntityManager } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import {
  badInput,
  conflict,
  notFound,
  pageWindow,
  parseInput,
  quickFind,
  quickInsert,
  quickUpdate,
  toPage,
  traceMark,
  type Caller,
  type Page,
  type PubSub,
  withoutNulls,
} from "@ods/kit";
import { z } from "zod";
import {
  Conversation,
  Message,
  MessageRating,
  MessageRole,
  MessageStatus,
  type GenerationParams,
} from "../entities/index.js";
import {
  findOwnedMessage,
  pathTo,
  settlement,
  type GenerationService,
  type ReplySource,
} from "./generation-service.js";
import { STOP_CHANNEL } from "./stream-events.js";

/** The most a single message may hold. */
export const MAX_MESSAGE_CHARS = 100_000;

/** The most knowledge bases one conversation (or one reply) may draw on. */
export const MAX_KNOWLEDGE_BASES = 20;

const temperature = z.number().min(0, "must be between 0 and 2").max(2, "must be between 0 and 2");
const maxTokens = z.number().int("must be a whole number").min(1, "must be at least 1").max(1_000_000);

const params = z.object({ temperature: temperature.optional(), maxTokens: maxTokens.optional() }).strict();

const modelId = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const title = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const systemPrompt = z.string().max(MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS} characters`);
const content = z
  .string()
  .max(MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS} characters`)
  .refine((s) => s.trim().length > 0, "must not be empty");

/** The model subgraph's `prompt_template` reference; it checks that the template exists when a reply is made. */
const promptTemplate = z
  .object({
    name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
    version: z.number().int("must be a whole number").min(1, "must be at least 1").optional(),
    variables: z.record(z.string(), z.unknown(), { error: "must be an object of name: value" }).optional(),
  })
  .strict();

/** Knowledge-base ids, without repeats; whether they exist is checked when a reply retrieves from them. */
const knowledgeBaseIds = z
  .array(z.string().trim().min(1, "must not be empty").max(64, "must be at most 64 characters"))
  .max(MAX_KNOWLEDGE_BASES, `at most ${MAX_KNOWLEDGE_BASES} knowledge bases`)
  .refine((ids) => new Set(ids).size === ids.length, "must not repeat an id");

/**
 * Retrieval settings: the known keys are checked here, others are kept for the retriever to read. The retriever
 * fills in whatever is not set from the knowledge base's own defaults.
 */
const retrieval = z
  .object(
    {
      mode: z.enum(["VECTOR", "KEYWORD", "HYBRID"], { error: "must be VECTOR, KEYWORD or HYBRID" }).optional(),
      topK: z.number().int("must be a whole number").min(1, "must be at least 1").max(100).optional(),
      scoreThreshold: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").optional(),
    },
    { error: "must be an object" },
  )
  .catchall(z.unknown())
  .refine((value) => JSON.stringify(value).length <= 10_000, "must be at most 10 000 characters as JSON");

const createInput = z.object({
  title: title.default("New conversation"),
  modelId: modelId.optional(),
  systemPrompt: systemPrompt.optional(),
  params: params.default({}),
  promptTemplate: promptTemplate.optional(),
  knowledgeBaseIds: knowledgeBaseIds.default([]),
  retrieval: retrieval.optional(),
});

/** Omitted: unchanged; null: back to the default. */
const updateInput = z
  .object({
    title: title.optional(),
    modelId: modelId.nullable().optional(),
    systemPrompt: systemPrompt.nullable().optional(),
    promptTemplate: promptTemplate.nullable().optional(),
    temperature: temperature.nullable().optional(),
    maxTokens: maxTokens.nullable().optional(),
    knowledgeBaseIds: knowledgeBaseIds.nullable().optional(),
    retrieval: retrieval.nullable().optional(),
  })
  .strict();

const sendInput = z.object({
  conversationId: z.string().min(1, "must not be empty").max(64).optional(),
  content,
  modelId: modelId.optional(),
  params: params.default({}),
  knowledgeBaseIds: knowledgeBaseIds.optional(),
});

const rateInput = z.object({
  rating: z.enum(MessageRating),
  comment: z.string().trim().max(2_000, "must be at most 2000 characters").optional(),
});

/** Only the fields the caller set (`undefined` is "not given"; `null` stays, meaning "back to the default"). */
const given = (input: object) => Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));

/**
 * A LIKE pattern that matches `text` anywhere, lowercased, with `!` as the escape character: SQLite has no
 * default escape, so every query names one, and a search for "50%" finds "50%" rather than everything.
 */
const containsPattern = (text: string) => `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;

/** A title for a conversation started by its first message: the first line, cut at a word near 60 characters. */
export function titleFrom(text: string): string {
  const line = text.trim().split(/\r?\n/)[0]!.replace(/\s+/g, " ").trim();
  if (line.length <= 60) return line || "New conversation";
  const cut = line.slice(0, 60);
  const space = cut.lastIndexOf(" ");
  return `${(space > 30 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export interface CreateConversation {
  title?: string | null;
  modelId?: string | null;
  systemPrompt?: string | null;
  params?: unknown;
  promptTemplate?: unknown;
  knowledgeBaseIds?: string[] | null;
  retrieval?: unknown;
}

export interface UpdateConversation {
  title?: string | null;
  modelId?: string | null;
  systemPrompt?: string | null;
  promptTemplate?: unknown;
  temperature?: number | null;
  maxTokens?: number | null;
  knowledgeBaseIds?: string[] | null;
  retrieval?: unknown;
}

export interface SendMessage {
  /** Omitted: a new conversation is made, titled after the message, with this input's model, params and bases. */
  conversationId?: string | null;
  content: string;
  modelId?: string | null;
  params?: unknown;
  knowledgeBaseIds?: string[] | null;
}

/** What a change that starts a reply returns: the question, the new reply (STREAMING) and their conversation. */
export interface Turn {
  conversation: Conversation;
  userMessage: Message;
  assistantMessage: Message;
}

export enum ExportFormat {
  MARKDOWN = "MARKDOWN",
  JSON = "JSON",
}

/** Token counts summed over a conversation's replies. */
export interface ConversationUsageTotals {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  messageCount: number;
}

const STILL_STREAMING = "A reply is still being generated in this conversation: stop it or wait for it";

/** The light columns of a message that branch changes need (never the text). */
type BranchRow = Pick<Message, "id" | "parentId" | "position" | "selected" | "selectedRevision" | "alternativeIndex">;

/** When a branch change happens: the time, and the conversation's revision it makes. */
interface Stamp {
  now: Date;
  revision: number;
}

/** Conversations and their messages; every read and write is limited to the caller's own conversations. */
export class ConversationService {
  constructor(
    private readonly generation: GenerationService,
    private readonly pubsub: PubSub,
    private readonly defaultModelId: string,
  ) {}

  /**
   * The caller's conversations: pinned first, then most recently active. `search` matches the title or the text
   * of any message, ignoring case; `pinned` keeps only pinned (true) or unpinned (false) ones.
   */
  async list(
    em: EntityManager,
    caller: Caller,
    args: { first?: number | null; after?: string | null; search?: string | null; pinned?: boolean | null },
  ): Promise<Page<Conversation>> {
    const { offset, limit } = pageWindow(args);
    const search = args.search?.trim();
    const pattern = search ? containsPattern(search) : undefined;
    const [rows, total] = await em.findAndCount(
      Conversation,
      {
        ownerId: caller.userId!,
        ...(typeof args.pinned === "boolean" ? { pinned: args.pinned } : {}),
        // lower() on both sides: LIKE is case-sensitive on PostgreSQL but not on SQLite or MariaDB. A raw
        // condition (the key; its value is unused) because the ORM's $like cannot name an escape character.
        ...(pattern
          ? {
              [raw(
                (c: string) =>
                  `(lower(${c}.title) like ? escape '!' or exists (select 1 from conversation_message m ` +
                  `where m.conversation_id = ${c}.id and lower(m.content) like ? escape '!'))`,
                [pattern, pattern],
              )]: [],
            }
          : {}),
      },
      { orderBy: { pinned: "desc", updatedAt: "desc", id: "asc" }, offset, limit },
    );
    return toPage(rows, offset, total);
  }

  /** The caller's conversation, or null (also when it belongs to someone else). */
  async find(em: EntityManager, caller: Caller, id: string): Promise<Conversation | null> {
    if (!caller.userId) return null;
    const [found] = await quickFind(em, Conversation, (q) => q.where({ id, owner_id: caller.userId }).limit(1));
    return found ?? null;
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
      knowledgeBaseIds: data.knowledgeBaseIds,
      retrieval: data.retrieval ?? null,
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

  /**
   * Changes a conversation's settings; they apply from the next reply on. An omitted field stays as it is, and
   * null puts it back to its default (the platform's default model, no system prompt or template, the model's
   * own temperature and max tokens, no knowledge bases, the knowledge bases' own retrieval settings).
   */
  async update(em: EntityManager, caller: Caller, id: string, input: UpdateConversation): Promise<Conversation> {
    const data = parseInput(updateInput, given(input));
    const conversation = await this.get(em, caller, id);
    if (data.title !== undefined) conversation.title = data.title;
    if (data.modelId !== undefined) conversation.modelId = data.modelId ?? this.defaultModelId;
    if (data.systemPrompt !== undefined) conversation.systemPrompt = data.systemPrompt;
    if (data.promptTemplate !== undefined) conversation.promptTemplate = data.promptTemplate;
    if (data.knowledgeBaseIds !== undefined) conversation.knowledgeBaseIds = data.knowledgeBaseIds ?? [];
    if (data.retrieval !== undefined) conversation.retrieval = data.retrieval;
    if (data.temperature !== undefined || data.maxTokens !== undefined) {
      const next: GenerationParams = { ...conversation.params };
      for (const key of ["temperature", "maxTokens"] as const) {
        const value = data[key];
        if (value === null) delete next[key];
        else if (value !== undefined) next[key] = value;
      }
      // A new object: MikroORM compares JSON properties by value, but only when the reference changes is clear.
      conversation.params = next;
    }
    await em.flush();
    return conversation;
  }

  /** Pins (or unpins) a conversation: pinned ones come first in the list. Does not count as activity. */
  async pin(em: EntityManager, caller: Caller, id: string, pinned: boolean): Promise<Conversation> {
    const conversation = await this.get(em, caller, id);
    conversation.pinned = pinned;
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

  /** The conversation's selected branch, oldest first. */
  async messages(em: EntityManager, conversationId: string): Promise<Message[]> {
    return (await this.messagesOf(em, [conversationId]))[0]!;
  }

  /** The selected branches of many conversations in one query (DataLoader batch for `Conversation.messages`). */
  async messagesOf(em: EntityManager, conversationIds: readonly string[]): Promise<Message[][]> {
    const rows = await em.find(
      Message,
      { conversation: { $in: [...conversationIds] }, selected: true },
      { orderBy: { position: "asc" }, refresh: true },
    );
    return conversationIds.map((id) => rows.filter((m) => m.conversation.id === id));
  }

  /**
   * Every version of each message's turn (the message itself included), by `alternativeIndex`: one query for
   * many messages (DataLoader batch for `Message.alternatives`).
   */
  async alternativesOf(em: EntityManager, messages: readonly Message[]): Promise<Message[][]> {
    const parents = [...new Set(messages.map((m) => m.parentId).filter((id): id is string => Boolean(id)))];
    const roots = [...new Set(messages.filter((m) => !m.parentId).map((m) => m.conversation.id))];
    const or = [
      ...(parents.length ? [{ parentId: { $in: parents } }] : []),
      ...(roots.length ? [{ conversation: { $in: roots }, parentId: null, position: 1 }] : []),
    ];
    const rows = await em.find(Message, { $or: or }, { orderBy: { alternativeIndex: "asc" }, refresh: true });
    return messages.map((m) =>
      rows.filter(
        (r) =>
          r.position === m.position &&
          (m.parentId ? r.parentId === m.parentId : !r.parentId && r.conversation.id === m.conversation.id),
      ),
    );
  }

  /** Token totals of many conversations in one query (DataLoader batch for `Conversation.usage`). */
  async usageOf(em: EntityManager, conversationIds: readonly string[]): Promise<ConversationUsageTotals[]> {
    const rows = await em.find(
      Message,
      { conversation: { $in: [...conversationIds] } },
      { fields: ["conversation", "usage"] },
    );
    return conversationIds.map((id) => {
      const totals = { promptTokens: 0, completionTokens: 0, totalTokens: 0, messageCount: 0 };
      for (const row of rows) {
        if (row.conversation.id !== id) continue;
        totals.messageCount++;
        totals.promptTokens += row.usage?.promptTokens ?? 0;
        totals.completionTokens += row.usage?.completionTokens ?? 0;
        totals.totalTokens += row.usage?.totalTokens ?? 0;
      }
      return totals;
    });
  }

  /**
   * Stores the user's message and an empty assistant reply (STREAMING) at the end of the selected branch, starts
   * generating the reply and returns both at once. Without `conversationId`, a conversation is made first (in the
   * same transaction), titled after the message.
   *
   * @remarks The reply starts before the transaction, from the branch as read just before it, so that the model
   * request overlaps the writes (the first token comes that much sooner); nothing of it is logged or stored until
   * the transaction commits, and a transaction that fails (CONFLICT, say) aborts it. The branch read cannot be
   * stale: the transaction's revision check fails if the branch moved after `conversation` was read.
   */
  async send(em: EntityManager, caller: Caller, input: SendMessage): Promise<Turn> {
    const data = parseInput(sendInput, withoutNulls(input));
    const conversation = data.conversationId
      ? await this.get(em, caller, data.conversationId)
      : em.create(
          Conversation,
          {
            title: titleFrom(data.content),
            ownerId: caller.userId!,
            modelId: data.modelId ?? this.defaultModelId,
            params: data.params,
            knowledgeBaseIds: data.knowledgeBaseIds ?? [],
          },
          // Stored by the transaction below, with its first messages, or not at all.
          { persist: false },
        );
    const fresh = !data.conversationId;
    const earlier = fresh ? [] : await selectedBranch(em, conversation.id);
    // Also checked in the transaction; here it saves a model request that would be aborted.
    if (earlier.at(-1)?.status === MessageStatus.STREAMING) throw conflict(STILL_STREAMING);
    traceMark("conversation.read");
    const leaf = earlier.at(-1);
    const question = {
      id: randomUUID(),
      parentId: leaf?.id ?? null,
      position: (leaf?.position ?? 0) + 1,
      content: data.content,
    };
    const modelId = data.modelId ?? conversation.modelId;
    const stored = settlement();
    const replyId = randomUUID();
    const requested = this.generation.generate({
      messageId: replyId,
      caller,
      params: { ...conversation.params, ...data.params },
      // A new conversation took them as its own already.
      ...(data.knowledgeBaseIds && !fresh ? { knowledgeBaseIds: data.knowledgeBaseIds } : {}),
      source: { ...settingsOf(conversation), modelId, question, earlier },
      stored: stored.promise,
    });
    // The model request goes out first: on SQLite the transaction's statements run synchronously, one promise
    // after another, and would hold its write back until the commit. At most a turn of the event loop (a new
    // connection to the model API, say, takes longer: the transaction does not wait for that).
    await Promise.race([requested, new Promise((resolve) => setImmediate(resolve))]);
    traceMark("conversation.transaction");
    try {
      const turn = await this.changeBranch(
        em,
        conversation,
        { fresh, appends: true, conflictMessage: "a reply is already being generated in this conversation" },
        (tx, rows, stamp, ref) => {
          const unpersisted = { persist: false };
          const userMessage = newMessage(tx, ref, rows, stamp, { ...question, role: MessageRole.USER }, unpersisted);
          const assistantMessage = newReply(tx, ref, rows, stamp, userMessage, modelId, {
            ...unpersisted,
            id: replyId,
          });
          return { userMessage, assistantMessage, created: [userMessage, assistantMessage] };
        },
      );
      traceMark("conversation.stored");
      stored.resolve();
      return turn;
    } catch (err) {
      stored.reject(err);
      throw err;
    }
  }

  /**
   * A new reply to the same question, with the conversation's current settings (and `modelId` when given); the
   * earlier replies stay as its alternatives. `messageId` is a reply (its question is answered again) or a
   * question (it gets one more reply). The new reply becomes the selected one.
   */
  async regenerate(
    em: EntityManager,
    caller: Caller,
    messageId: string,
    options: { modelId?: string | null } = {},
  ): Promise<Turn> {
    const model = parseInput(z.object({ modelId: modelId.optional() }), withoutNulls(options)).modelId;
    const target = await this.ownedMessage(em, caller, messageId);
    const conversation = target.conversation as Conversation;
    const question =
      target.role === MessageRole.USER
        ? target
        : target.parentId
          ? await em.findOne(Message, { id: target.parentId, role: MessageRole.USER })
          : null;
    if (!question) throw badInput("messageId: this message answers no question", { messageId: "answers no question" });
    const turn = await this.changeBranch(em, conversation, {}, (tx, rows, stamp, ref) => {
      const assistantMessage = newReply(tx, ref, rows, stamp, question, model ?? conversation.modelId);
      return { userMessage: question, assistantMessage, created: [assistantMessage] };
    });
    this.generation.generate({
      messageId: turn.assistantMessage.id,
      caller,
      params: { ...conversation.params },
      source: replySource(conversation, turn),
    });
    return turn;
  }

  /**
   * Edits a question by adding a new version of it, and answers that version: the old question, with every
   * turn that followed it, stays as an alternative. The new version becomes the selected branch.
   */
  async edit(em: EntityManager, caller: Caller, messageId: string, newContent: string): Promise<Turn> {
    const text = parseInput(z.object({ content }), { content: newContent }).content;
    const target = await this.ownedMessage(em, caller, messageId);
    if (target.role !== MessageRole.USER) {
      throw badInput("messageId: only the user's own messages can be edited", { messageId: "not a user message" });
    }
    const conversation = target.conversation as Conversation;
    const turn = await this.changeBranch(em, conversation, {}, (tx, rows, stamp, ref) => {
      const userMessage = newMessage(tx, ref, rows, stamp, {
        parentId: target.parentId ?? null,
        position: target.position,
        role: MessageRole.USER,
        content: text,
      });
      const assistantMessage = newReply(tx, ref, rows, stamp, userMessage, conversation.modelId);
      return { userMessage, assistantMessage, created: [userMessage, assistantMessage] };
    });
    this.generation.generate({
      messageId: turn.assistantMessage.id,
      caller,
      params: { ...conversation.params },
      source: replySource(conversation, turn),
    });
    return turn;
  }

  /**
   * Puts `messageId` on the selected branch: its ancestors, itself, and below it the turns that were selected
   * most recently. Later replies see this branch as their history.
   */
  async select(em: EntityManager, caller: Caller, messageId: string): Promise<Conversation> {
    const target = await this.ownedMessage(em, caller, messageId);
    const conversation = target.conversation as Conversation;
    if (target.selected) return conversation;
    await this.changeBranch(em, conversation, { activity: false, selectedId: target.id }, () => ({ created: [] }));
    return conversation;
  }

  /** Rates a reply (UP, DOWN, or NONE to take the rating back), with an optional comment. */
  async rate(
    em: EntityManager,
    caller: Caller,
    messageId: string,
    input: { rating: MessageRating; comment?: string | null },
  ): Promise<Message> {
    const data = parseInput(rateInput, withoutNulls(input));
    const message = await this.ownedMessage(em, caller, messageId);
    if (message.role !== MessageRole.ASSISTANT) {
      throw badInput("messageId: only replies can be rated", { messageId: "not a reply" });
    }
    const comment = data.comment || null;
    message.feedback =
      data.rating === MessageRating.NONE && !comment
        ? null
        : { rating: data.rating, comment, updatedAt: new Date().toISOString() };
    // Only this column: the reply may still be generating, and its writer owns the others.
    await em.nativeUpdate(Message, { id: message.id }, { feedback: message.feedback });
    return message;
  }

  /**
   * The conversation as a document. MARKDOWN: the selected branch, as read. JSON: the settings, the usage
   * totals and every message of every branch (`parentId`, `selected` and `alternativeIndex` give the tree),
   * each with its model, timestamps, status, usage, feedback and citations.
   */
  async export(em: EntityManager, conversation: Conversation, format: ExportFormat): Promise<string> {
    const all = await em.find(
      Message,
      { conversation: conversation.id },
      { orderBy: { position: "asc", alternativeIndex: "asc" }, refresh: true },
    );
    if (format === ExportFormat.JSON) {
      const [usage] = await this.usageOf(em, [conversation.id]);
      return JSON.stringify(
        {
          id: conversation.id,
          title: conversation.title,
          modelId: conversation.modelId,
          systemPrompt: conversation.systemPrompt ?? null,
          promptTemplate: conversation.promptTemplate ?? null,
          params: conversation.params,
          knowledgeBaseIds: conversation.knowledgeBaseIds,
          retrieval: conversation.retrieval ?? null,
          pinned: conversation.pinned,
          createdAt: conversation.createdAt.toISOString(),
          updatedAt: conversation.updatedAt.toISOString(),
          usage,
          messages: all.map((m) => ({
            id: m.id,
            parentId: m.parentId ?? null,
            position: m.position,
            alternativeIndex: m.alternativeIndex,
            selected: m.selected,
            role: m.role,
            status: m.status,
            content: m.content,
            modelId: m.modelId ?? null,
            usage: m.usage ?? null,
            ttftMs: m.ttftMs ?? null,
            latencyMs: m.latencyMs ?? null,
            errorCode: m.errorCode ?? null,
            errorReason: m.errorReason ?? null,
            feedback: m.feedback ?? null,
            citations: m.citations,
            createdAt: m.createdAt.toISOString(),
            updatedAt: m.updatedAt.toISOString(),
          })),
        },
        null,
        2,
      );
    }
    const lines = [`# ${conversation.title}`, ""];
    lines.push(`- Model: ${conversation.modelId}`);
    lines.push(`- Created: ${conversation.createdAt.toISOString()}`);
    lines.push(`- Updated: ${conversation.updatedAt.toISOString()}`);
    if (conversation.systemPrompt) lines.push(`- System prompt: ${conversation.systemPrompt.replace(/\s+/g, " ")}`);
    for (const m of all.filter((row) => row.selected)) {
      const who = m.role === MessageRole.USER ? "User" : m.role === MessageRole.ASSISTANT ? "Assistant" : "System";
      const details = [
        m.modelId && m.role === MessageRole.ASSISTANT ? m.modelId : null,
        m.status !== MessageStatus.COMPLETE ? m.status : null,
        m.createdAt.toISOString(),
      ].filter(Boolean);
      lines.push("", `## ${who} (${details.join(", ")})`, "", m.content);
      if (m.errorReason) lines.push("", `> ${m.errorCode ?? "FAILED"}: ${m.errorReason}`);
      if (m.citations.length) {
        lines.push("", "Sources:", "");
        for (const c of m.citations) {
          lines.push(`- [${c.marker}] ${c.documentName} (chunk ${c.position}): ${c.snippet.replace(/\s+/g, " ")}`);
        }
      }
    }
    return `${lines.join("\n")}\n`;
  }

  /** The caller's message, with its conversation loaded; NOT_FOUND otherwise. */
  private async ownedMessage(em: EntityManager, caller: Caller, messageId: string): Promise<Message> {
    const message = await findOwnedMessage(em, caller, messageId);
    if (!message) throw notFound("Message", messageId);
    await em.populate(message, ["conversation"]);
    return message;
  }

  /**
   * Changes the selected branch in one transaction: `build` adds messages (given the conversation's rows, light
   * columns only), then the branch through the last one it made (or `options.selectedId`) becomes the selected
   * one.
   *
   * @remarks The conversation's `revision` moves from the value this request read to the next, conditionally,
   * first of all: of two changes racing, the second finds it moved and fails with CONFLICT, writing nothing. Its
   * row lock also orders them on PostgreSQL and MariaDB. While a reply streams in the conversation the branch it
   * extends must not move: CONFLICT too (found in the same read as the rows, so it costs no query of its own).
   *
   * `appends`: the change only adds messages after the end of the selected branch, which the caller read after
   * `conversation` (so the revision check covers it) and found not STREAMING. Then there are no rows to read and
   * nothing else to select: the branch's last message has no other children (selecting a branch always follows
   * it to a message without any), and `build` gets no rows. Its messages must be made with `persist: false`:
   * they are inserted as they are.
   */
  private async changeBranch<T extends { created: Message[] }>(
    em: EntityManager,
    conversation: Conversation,
    options: { fresh?: boolean; appends?: boolean; activity?: boolean; conflictMessage?: string; selectedId?: string },
    build: (tx: EntityManager, rows: BranchRow[], stamp: Stamp, ref: Conversation) => T,
  ): Promise<T & { conversation: Conversation }> {
    const now = new Date();
    const activity = options.activity ?? true;
    const revision = conversation.revision;
    const stamp: Stamp = { now, revision: options.fresh ? revision : revision + 1 };
    // A clear fork: the request's entities stay out of this flush (it would write their loaded values back).
    const result = await em.transactional(
      async (tx) => {
        let rows: BranchRow[] = [];
        let ref = conversation;
        if (options.fresh) {
          if (!options.appends) tx.persist(conversation);
        } else {
          ref = tx.getReference(Conversation, conversation.id);
          const moved = await quickUpdate(
            tx,
            Conversation,
            { id: conversation.id, revision },
            { revision: revision + 1, ...(activity ? { updatedAt: now } : {}) },
          );
          if (moved !== 1) {
            throw conflict(options.conflictMessage ?? "The conversation changed meanwhile: load it again and retry");
          }
        }
        if (!options.fresh && !options.appends) {
          // Plain objects, not entities: the request's identity map keeps the rows it loaded whole.
          const found = await tx.find(
            Message,
            { conversation: conversation.id },
            {
              fields: ["id", "parentId", "position", "selected", "selectedRevision", "alternativeIndex", "status"],
              disableIdentityMap: true,
            },
          );
          if (found.some((r) => r.status === MessageStatus.STREAMING)) {
            throw conflict(STILL_STREAMING);
          }
          rows = found.map((r) => ({
            id: r.id,
            parentId: r.parentId ?? null,
            position: r.position,
            selected: r.selected,
            selectedRevision: r.selectedRevision,
            alternativeIndex: r.alternativeIndex,
          }));
        }
        const built = build(tx, rows, stamp, ref);
        // New rows only: inserted as they are (a new conversation first), without the unit of work's change sets.
        if (options.appends) await quickInsert(tx, options.fresh ? [conversation, ...built.created] : built.created);
        else await tx.flush();
        const selectedId = options.selectedId ?? built.created.at(-1)?.id;
        if (!options.fresh && !options.appends && selectedId) {
          await this.selectBranch(tx, [...rows, ...built.created], selectedId, stamp.revision);
        }
        return built;
      },
      { clear: true },
    );
    if (!options.fresh) {
      conversation.revision = revision + 1;
      if (activity) conversation.updatedAt = now;
    }
    return { ...result, conversation };
  }

  /** Marks the branch through `id` selected and every other message not; `rows` are all the messages. */
  private async selectBranch(tx: EntityManager, rows: BranchRow[], id: string, revision: number) {
    const byId = new Map(rows.map((r) => [r.id, r]));
    const path = new Set<string>([id]);
    for (let up = byId.get(id)?.parentId; up; up = byId.get(up)?.parentId) path.add(up);
    // Below it, the children most recently selected, as the user left them.
    for (let down: string | undefined = id; down;) {
      const children = rows.filter((r) => r.parentId === down);
      children.sort((a, b) => b.selectedRevision - a.selectedRevision || b.alternativeIndex - a.alternativeIndex);
      down = children[0]?.id;
      if (down) path.add(down);
    }
    const off = rows.filter((r) => r.selected && !path.has(r.id)).map((r) => r.id);
    const on = rows.filter((r) => !r.selected && path.has(r.id)).map((r) => r.id);
    if (off.length) await tx.nativeUpdate(Message, { id: { $in: off } }, { selected: false });
    if (on.length) await tx.nativeUpdate(Message, { id: { $in: on } }, { selected: true });
    // A message made by this change was stored with this revision already.
    if (byId.get(id)?.selectedRevision !== revision) {
      await tx.nativeUpdate(Message, { id }, { selectedRevision: revision });
    }
  }
}

/** A conversation's settings that a reply is made with (see {@link ReplySource}). */
function settingsOf(conversation: Conversation) {
  return {
    conversationId: conversation.id,
    systemPrompt: conversation.systemPrompt ?? null,
    promptTemplate: conversation.promptTemplate ?? null,
    knowledgeBaseIds: conversation.knowledgeBaseIds,
    retrieval: conversation.retrieval,
  };
}

/** What the new reply of `turn` is generated from, as this request knows it (see {@link GenerationJob.source}). */
function replySource(conversation: Conversation, turn: Turn): ReplySource {
  const question = turn.userMessage;
  return {
    ...settingsOf(conversation),
    modelId: turn.assistantMessage.modelId ?? conversation.modelId,
    question: {
      id: question.id,
      parentId: question.parentId ?? null,
      position: question.position,
      content: question.content,
    },
  };
}

/**
 * The messages of the selected branch, oldest first: the newest selected message and its ancestors through
 * `parentId` (one query, then a walk in memory).
 */
async function selectedBranch(em: EntityManager, conversationId: string): Promise<Message[]> {
  const rows = await quickFind(em, Message, (q) => q.where({ conversation_id: conversationId, selected: true }));
  let leaf: Message | undefined;
  for (const row of rows) if (!leaf || row.position > leaf.position) leaf = row;
  return pathTo(rows, leaf?.id);
}

/**
 * How a new message is made. `persist: false` keeps it out of the unit of work, for a change that inserts its
 * messages itself (`changeBranch`'s `appends`); otherwise the transaction's flush stores it.
 */
interface NewMessageOptions {
  persist?: boolean;
}

/** A new message on the selected branch, numbered after its existing versions (the turn's alternatives). */
function newMessage(
  em: EntityManager,
  conversation: Conversation,
  rows: BranchRow[],
  { now, revision }: Stamp,
  data: { id?: string; parentId: string | null; position: number; role: MessageRole; content: string },
  { persist = true }: NewMessageOptions = {},
): Message {
  const versions = rows.filter((r) => r.position === data.position && (r.parentId ?? null) === data.parentId);
  return em.create(
    Message,
    {
      conversation,
      ...data,
      status: MessageStatus.COMPLETE,
      selected: true,
      selectedRevision: revision,
      alternativeIndex: Math.max(0, ...versions.map((r) => r.alternativeIndex)) + 1,
      createdAt: now,
      updatedAt: now,
    },
    { persist },
  );
}

/** A new, empty reply (STREAMING) to `question`, by `modelId`. */
function newReply(
  em: EntityManager,
  conversation: Conversation,
  rows: BranchRow[],
  stamp: Stamp,
  question: Message,
  modelId: string,
  { id, persist }: NewMessageOptions & { id?: string } = {},
): Message {
  const reply = newMessage(
    em,
    conversation,
    rows,
    stamp,
    {
      ...(id ? { id } : {}),
      parentId: question.id,
      position: question.position + 1,
      role: MessageRole.ASSISTANT,
      content: "",
    },
    { persist },
  );
  reply.status = MessageStatus.STREAMING;
  reply.modelId = modelId;
  return reply;
}
