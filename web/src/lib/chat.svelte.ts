import { goto } from "$app/navigation";
import { resolve } from "$app/paths";
import type { CombinedError } from "@urql/core";
import type { MessageRole, MessageStatus, SendMessageInput } from "$lib/gql/graphql";
import { refreshSession } from "./auth";
import { client, renewConnection } from "./client";
import {
  ChatKnowledgeBasesQuery,
  ChatModelsQuery,
  ConversationQuery,
  ConversationsQuery,
  StopGenerationMutation,
} from "./documents";
import { errorMessage, isUnauthenticated } from "./errors";
import {
  ChatConnectionError,
  followMessage,
  startChat,
  type ChatTurn,
  type Citation,
  type FinalMessage,
  type MessageStreamHandlers,
} from "./message-stream";

/** A conversation as the sidebar lists it. */
export interface ConversationSummary {
  id: string;
  title: string;
  updatedAt: string;
}

/** A message as the chat shows it; `content` grows while the assistant streams. */
export interface ChatMessage {
  id: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  createdAt: string;
  /** Why generation failed, when it did. */
  failure?: string;
  /** The knowledge-base sources the answer cites (`[index]` in its text). */
  citations?: Citation[];
}

/** A knowledge base the user may let a new conversation answer from. */
export interface ChatKnowledgeBase {
  id: string;
  name: string;
}

/** A chat model the user may pick for a new conversation. */
export interface ChatModel {
  id: string;
  name: string;
}

/** How many conversations the sidebar loads at once. */
const PAGE_SIZE = 50;
const newestFirst = (a: ConversationSummary, b: ConversationSummary) => b.updatedAt.localeCompare(a.updatedAt);

/**
 * The state of the chat screen: the conversation list, the open conversation and the message being streamed.
 *
 * @remarks
 * Only one assistant message streams at a time in the open conversation. Leaving a conversation stops following
 * its stream (generation goes on on the server); coming back replays the stream from the start, so the text shown
 * is exactly what was generated.
 */
export class ChatState {
  conversations = $state<ConversationSummary[]>([]);
  hasMoreConversations = $state(false);
  selectedId = $state<string | null>(null);
  messages = $state<ChatMessage[]>([]);
  models = $state<ChatModel[]>([]);
  modelId = $state<string | null>(null);
  knowledgeBases = $state<ChatKnowledgeBase[]>([]);
  /** Knowledge bases a new conversation will answer from. */
  knowledgeBaseIds = $state<string[]>([]);
  streamingId = $state<string | null>(null);
  loadingMessages = $state(false);
  sending = $state(false);
  error = $state<string | null>(null);

  #endCursor: string | null = null;
  #stopFollowing: (() => void) | undefined;
  /** Bumped on every selection, so that a slow answer for a conversation left meanwhile is dropped. */
  #selection = 0;

  /** Loads the first page of conversations and the chat models. */
  async init(): Promise<void> {
    await Promise.all([this.loadConversations(), this.#loadModels(), this.#loadKnowledgeBases()]);
  }

  /** Loads conversations, newest first; with `more`, appends the next page. */
  async loadConversations(more = false): Promise<void> {
    const result = await client
      .query(
        ConversationsQuery,
        { first: PAGE_SIZE, after: more ? this.#endCursor : null },
        { requestPolicy: "network-only" },
      )
      .toPromise();
    if (result.error) return this.#fail(result.error);
    const page = result.data?.conversations;
    if (!page) return;
    const loaded = page.edges.map(({ node }) => ({ id: node.id, title: node.title, updatedAt: node.updatedAt }));
    const known = more ? this.conversations : [];
    this.conversations = [...known, ...loaded.filter((c) => !known.some((k) => k.id === c.id))].sort(newestFirst);
    this.hasMoreConversations = page.pageInfo.hasNextPage;
    this.#endCursor = page.pageInfo.endCursor ?? null;
  }

  async #loadModels(): Promise<void> {
    const result = await client.query(ChatModelsQuery, { first: 100 }).toPromise();
    // Without the model list the user can still chat: the server then picks its default model.
    if (result.error || !result.data) return;
    this.models = result.data.models.edges.map(({ node }) => ({ id: node.id, name: node.name }));
    this.modelId ??= this.models[0]?.id ?? null;
  }

  async #loadKnowledgeBases(): Promise<void> {
    const result = await client.query(ChatKnowledgeBasesQuery, { first: 100 }).toPromise();
    // Chat works without them; the picker just stays empty.
    if (result.error || !result.data) return;
    this.knowledgeBases = result.data.knowledgeBases.edges.map(({ node }) => ({ id: node.id, name: node.name }));
  }

  /** Opens a conversation and its messages; resumes following a message that is still streaming. */
  async select(id: string): Promise<void> {
    if (id === this.selectedId) return;
    this.#unfollow();
    const selection = ++this.#selection;
    this.selectedId = id;
    this.messages = [];
    this.error = null;
    this.loadingMessages = true;
    const result = await client.query(ConversationQuery, { id }, { requestPolicy: "network-only" }).toPromise();
    if (selection !== this.#selection) return;
    this.loadingMessages = false;
    if (result.error) return this.#fail(result.error);
    const conversation = result.data?.conversation;
    if (!conversation) {
      this.error = "This conversation no longer exists.";
      this.conversations = this.conversations.filter((c) => c.id !== id);
      this.selectedId = null;
      return;
    }
    this.messages = conversation.messages.map(({ errorReason, ...m }) => ({ ...m, failure: errorReason ?? undefined }));
    const streaming = this.messages.findLast((m) => m.role === "ASSISTANT" && m.status === "STREAMING");
    if (streaming) {
      // The stored text lags behind the live stream; replaying the stream from its start gives the exact text.
      streaming.content = "";
      this.#follow(streaming.id);
    }
  }

  /** Clears the screen for a new conversation, which the first message will create. */
  newChat(): void {
    this.#unfollow();
    this.#selection += 1;
    this.selectedId = null;
    this.messages = [];
    this.error = null;
    this.loadingMessages = false;
  }

  /**
   * Sends a message and streams the answer, in one subscription (`chat`). With no conversation open, the message
   * creates one (with the chosen model and knowledge bases), which then opens unless the user moved on meanwhile.
   *
   * @returns whether the message was sent (the composer keeps the text when it was not): true once the server
   * stored it, false when it refused it or the connection failed before it confirmed it.
   */
  async send(content: string): Promise<boolean> {
    const text = content.trim();
    if (!text || this.sending || this.streamingId) return false;
    this.sending = true;
    this.error = null;
    try {
      const conversationId = this.selectedId;
      const selection = this.#selection;
      const input: SendMessageInput = conversationId
        ? { conversationId, content: text }
        : {
            content: text,
            ...(this.modelId ? { modelId: this.modelId } : {}),
            ...(this.knowledgeBaseIds.length > 0 ? { knowledgeBaseIds: this.knowledgeBaseIds } : {}),
          };
      let failure = await this.#chat(input, conversationId, selection);
      if (failure && refusedSession(failure)) {
        // The socket carried a lapsed session. The gateway refreshes a session for HTTP requests on their way, but
        // not for a WebSocket: renew it and try once more on a new connection (a refused message was not stored).
        const renewed = await refreshSession().catch(() => undefined);
        if (renewed === false) {
          void goto(resolve("/login"));
          return false;
        }
        if (renewed) {
          renewConnection();
          failure = await this.#chat(input, conversationId, selection);
        }
      }
      if (!failure) return true;
      this.#fail(failure);
      // The message may have arrived after all: show the conversation as the server has it.
      if (failure instanceof ChatConnectionError && failure.maybeStored) void this.#reconcile(conversationId);
      return false;
    } finally {
      this.sending = false;
    }
  }

  /**
   * Starts `chat` for one message; resolves once the server stored it (with nothing) or refused it, or the
   * connection failed before it confirmed it (with the error). The reply streams into the open conversation.
   */
  #chat(input: SendMessageInput, conversationId: string | null, selection: number): Promise<Error | undefined> {
    return new Promise((settle) => {
      let reply: MessageStreamHandlers | undefined;
      const stop = startChat(input, {
        started: (turn) => {
          settle(undefined);
          if (!this.#open(turn, conversationId, selection)) {
            stop(); // the reply goes on on the server; opening its conversation replays it
            return;
          }
          reply = this.#streamInto(turn.assistantMessage.id);
          this.streamingId = turn.assistantMessage.id;
          this.#stopFollowing = stop;
        },
        token: (delta) => reply?.token(delta),
        citations: (citations) => reply?.citations?.(citations),
        done: (final) => reply?.done(final),
        failed: (code, reason, final) => reply?.failed(code, reason, final),
        error: (error) => (reply ? reply.error(error) : settle(error)),
      });
    });
  }

  /**
   * Shows a turn the server stored: lists its conversation when the message created it, and adds both messages
   * to the open conversation. @returns whether to stream the reply into it (false when the user moved on).
   */
  #open(turn: ChatTurn, conversationId: string | null, selection: number): boolean {
    const { conversation, userMessage, assistantMessage } = turn;
    if (!conversationId) {
      this.conversations = [
        { id: conversation.id, title: conversation.title, updatedAt: conversation.updatedAt },
        ...this.conversations.filter((c) => c.id !== conversation.id),
      ];
      if (selection !== this.#selection) return false; // the user moved on while the message was on its way
      this.#selection += 1;
      this.selectedId = conversation.id;
      this.messages = [];
    } else if (conversationId !== this.selectedId) {
      return false; // the user moved on while the message was on its way
    }
    this.messages.push({ ...userMessage }, { ...assistantMessage });
    this.#touch(conversation.id, userMessage.createdAt);
    return assistantMessage.status === "STREAMING";
  }

  /**
   * After a message whose fate is unknown: reloads the conversation it went to (following its reply if it was
   * stored and is streaming), or the conversation list when it was to start a new one.
   */
  async #reconcile(conversationId: string | null): Promise<void> {
    if (!conversationId) return this.loadConversations();
    if (conversationId !== this.selectedId) return;
    const error = this.error;
    this.selectedId = null; // so that `select` loads it again
    await this.select(conversationId);
    this.error ??= error;
  }

  /** Asks the server to stop the message being generated; the text so far is kept. */
  async stop(): Promise<void> {
    const messageId = this.streamingId;
    if (!messageId) return;
    const result = await client.mutation(StopGenerationMutation, { messageId }).toPromise();
    if (result.error) return this.#fail(result.error);
    const stopped = result.data?.stopGeneration;
    if (stopped && stopped.status !== "STREAMING") {
      this.#unfollow();
      this.#finish(stopped);
    }
  }

  /** Stops following any stream; call when the screen goes away. */
  dispose(): void {
    this.#unfollow();
  }

  #follow(messageId: string): void {
    this.streamingId = messageId;
    this.#stopFollowing = followMessage(messageId, this.#streamInto(messageId));
  }

  /** What streams a reply into its message of the open conversation. */
  #streamInto(messageId: string): MessageStreamHandlers {
    return {
      token: (delta) => {
        const message = this.#message(messageId);
        if (message) message.content += delta;
      },
      citations: (citations) => {
        const message = this.#message(messageId);
        if (message) message.citations = citations;
      },
      done: (final) => this.#finish(final),
      failed: (_code, reason, final) => this.#finish(final, reason),
      error: (error) => {
        this.streamingId = null;
        this.error = `The answer stopped arriving: ${errorMessage(error)}`;
      },
    };
  }

  #unfollow(): void {
    this.#stopFollowing?.();
    this.#stopFollowing = undefined;
    this.streamingId = null;
  }

  #finish(final: FinalMessage, failure?: string): void {
    const message = this.#message(final.id);
    if (message) {
      // The stored text is the truth: it replaces what was assembled from the deltas.
      message.content = final.content;
      message.status = final.status;
      if (failure) message.failure = failure;
    }
    if (this.streamingId === final.id) {
      this.#stopFollowing = undefined;
      this.streamingId = null;
    }
  }

  #message(id: string): ChatMessage | undefined {
    return this.messages.find((m) => m.id === id);
  }

  /** Moves a conversation to the top of the list after a new message (sent at `at`, the server's clock). */
  #touch(id: string, at: string): void {
    this.conversations = this.conversations.map((c) => (c.id === id ? { ...c, updatedAt: at } : c)).sort(newestFirst);
  }

  #fail(error: CombinedError | Error): void {
    if (isUnauthenticated(error)) {
      void goto(resolve("/login"));
      return;
    }
    this.error = errorMessage(error);
  }
}

/** Whether the server refused a chat for its session (an access cookie that lapsed while the page was idle). */
function refusedSession(error: Error): boolean {
  return isUnauthenticated(error) || (error instanceof ChatConnectionError && error.closeCode === 4403);
}
