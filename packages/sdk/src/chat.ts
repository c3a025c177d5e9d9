import { ChatSubscription, MessageStreamSubscription, StopGenerationMutation } from "./documents.js";
import { OdsError } from "./errors.js";
import type { SdkChatSubscription, SdkMessageStreamSubscription, SdkSendMessageMutation } from "./gql/graphql.js";
import { resumable } from "./resume.js";
import { describeSocketError, isRetryableSocketError } from "./socket.js";
import type { Transport } from "./transport.js";

/** A stored chat message. */
export type ChatMessage = SdkSendMessageMutation["sendMessage"]["assistantMessage"];
/** The two messages a send stores: the user's, and the assistant's (status `STREAMING` at first). */
export type SentMessages = SdkSendMessageMutation["sendMessage"];
type StreamEvent = SdkMessageStreamSubscription["messageStream"];
type ChatEvents = AsyncIterator<SdkChatSubscription>;
/** A source the answer cites: `[index]` in its text refers to this chunk of a knowledge-base document. */
export type ChatCitation = Extract<StreamEvent, { __typename: "MessageCitations" }>["citations"][number];

/** What to send. */
export interface ChatInput {
  conversationId: string;
  content: string;
  /** Answer with this model instead of the conversation's. */
  modelId?: string;
}

/**
 * One answer being generated: iterate it for the text as it is written, or await {@link ChatStream.result}.
 *
 * @remarks
 * The message is sent as soon as the stream is created, through the `chat` subscription, which stores it and
 * then streams the answer on the same subscription. The platform keeps a numbered log of each answer, so reading
 * may start late (the answer is then replayed through `messageStream`) and a dropped connection is resumed after
 * the last event seen (`afterSeq`): no piece of text is lost or repeated. A connection that drops before the
 * platform confirmed the message is not resumed, nor the message sent again: {@link ChatStream.sent} rejects. The
 * iteration ends with the answer; when generation fails it throws an {@link OdsError} with the failure's code. It
 * can be iterated once.
 */
export class ChatStream implements AsyncIterable<string> {
  /** Resolves with both stored messages once the platform accepted the message. */
  readonly sent: Promise<SentMessages>;
  readonly #transport: Transport;
  readonly #final: Promise<ChatMessage>;
  #settle!: { resolve(message: ChatMessage): void; reject(error: unknown): void };
  #started = false;
  #settled = false;
  #citations: ChatCitation[] = [];
  /** The `chat` subscription past its first event, until a reader takes it over or it is let go. */
  #chat: ChatEvents | undefined;
  /** The sequence number of `chat`'s first event: the answer's own events come after it. */
  #startSeq: number | undefined;

  constructor(transport: Transport, input: ChatInput) {
    this.#transport = transport;
    const chat = transport.subscribe(ChatSubscription, { input })[Symbol.asyncIterator]();
    this.sent = chat.next().then(
      (first) => this.#confirm(chat, first),
      (error: unknown) => {
        throw unconfirmed(error);
      },
    );
    this.#final = new Promise<ChatMessage>((resolve, reject) => {
      this.#settle = {
        resolve: (message) => {
          this.#settled = true;
          resolve(message);
        },
        reject: (error) => {
          this.#settled = true;
          reject(error);
        },
      };
    });
    // Both surface to whoever reads the stream or awaits result(); never as an unhandled rejection.
    this.sent.catch(() => undefined);
    this.#final.catch(() => undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    if (this.#started) throw new OdsError("BAD_USER_INPUT", "A chat stream can be iterated only once.");
    this.#started = true;
    return this.#deltas();
  }

  /**
   * The stored answer once generation ended (`COMPLETE` or `STOPPED`); reads the stream to its end if nobody
   * else does.
   * @throws {@link OdsError} when sending or generation failed.
   */
  async result(): Promise<ChatMessage> {
    if (!this.#started) {
      for await (const _ of this) {
        // The deltas are not needed: the final message carries the whole text.
      }
    }
    return this.#final;
  }

  /**
   * The sources the answer cites (when the conversation uses knowledge bases); filled before the first piece of
   * text arrives, empty otherwise.
   */
  get citations(): readonly ChatCitation[] {
    return this.#citations;
  }

  /** Stops generation; the text written so far is kept, and the stream ends with status `STOPPED`. */
  async stop(): Promise<ChatMessage> {
    const { assistantMessage } = await this.sent;
    const data = await this.#transport.graphql(StopGenerationMutation, { messageId: assistantMessage.id });
    return data.stopGeneration;
  }

  /** `chat`'s first event: the stored messages. Keeps the subscription for a reader, if one comes at once. */
  #confirm(chat: ChatEvents, first: IteratorResult<SdkChatSubscription>): SentMessages {
    const event = first.done ? undefined : first.value.chat;
    if (event?.__typename !== "MessageStarted") {
      void chat.return?.();
      throw unconfirmed(new Error("the subscription ended before its first event"));
    }
    const { userMessage, assistantMessage } = event;
    this.#startSeq = event.seq;
    if (assistantMessage.status !== "STREAMING") {
      void chat.return?.();
    } else {
      this.#chat = chat;
      // Nobody reads yet (nor right after awaiting `sent`): let the subscription go rather than hold it and its
      // events for a reader who may never come. The answer goes on; a later reader replays it with messageStream.
      if (!this.#started) {
        setTimeout(() => {
          if (!this.#started) this.#releaseChat();
        }, 0);
      }
    }
    return { userMessage, assistantMessage };
  }

  #releaseChat(): void {
    const chat = this.#chat;
    this.#chat = undefined;
    void chat?.return?.();
  }

  async *#deltas(): AsyncGenerator<string, void, undefined> {
    try {
      const { assistantMessage } = await this.sent;
      if (assistantMessage.status !== "STREAMING") {
        this.#settle.resolve(assistantMessage);
        return;
      }
      let chat = this.#chat;
      this.#chat = undefined;
      const events = resumable<StreamEvent>(
        (afterSeq) => {
          // The rest of the `chat` subscription when it is still open; after it, or without it, messageStream.
          const rest = chat;
          chat = undefined;
          return rest ? this.#chatEvents(rest) : this.#events(assistantMessage.id, afterSeq);
        },
        {
          afterSeq: this.#startSeq,
          isTerminal: (event) => event.__typename === "MessageDone" || event.__typename === "MessageFailed",
          isRetryable: isRetryableSocketError,
        },
      );
      for await (const event of events) {
        if (event.__typename === "MessageToken") {
          yield event.delta;
        } else if (event.__typename === "MessageCitations") {
          this.#citations = event.citations;
        } else if (event.__typename === "MessageDone") {
          this.#settle.resolve(event.message);
        } else if (event.__typename === "MessageFailed") {
          throw new OdsError(event.code, event.reason || `Generation failed (${event.code}).`);
        }
        // MessageHeartbeat: the stream is alive; nothing to do.
      }
    } catch (error) {
      this.#settle.reject(error);
      throw error;
    } finally {
      // The reader stopped early (a `break`): whoever awaits result() must not wait forever.
      if (!this.#settled) {
        this.#settle.reject(new OdsError("CANCELLED", "The stream was closed before the answer was complete."));
      }
    }
  }

  /** The answer's events from the `chat` subscription, after its MessageStarted. */
  async *#chatEvents(chat: ChatEvents): AsyncGenerator<StreamEvent, void, undefined> {
    try {
      for (;;) {
        const next = await chat.next();
        if (next.done) return;
        const event = next.value.chat;
        if (event.__typename !== "MessageStarted") yield event;
      }
    } finally {
      await chat.return?.();
    }
  }

  async *#events(messageId: string, afterSeq: number | undefined): AsyncGenerator<StreamEvent, void, undefined> {
    for await (const data of this.#transport.subscribe(MessageStreamSubscription, {
      messageId,
      afterSeq: afterSeq ?? null,
    })) {
      yield data.messageStream;
    }
  }
}

/**
 * Why a send failed before the platform confirmed it: the platform's refusal as it came (an {@link OdsError};
 * nothing was stored), or a connection failure as an {@link OdsError} of its own. Neither is retried, since a
 * message the platform stored but could not confirm would then be stored twice.
 */
function unconfirmed(error: unknown): OdsError {
  if (error instanceof OdsError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 4403) {
    // The platform closes a connection whose credential it does not accept with 4403, before any operation runs.
    return new OdsError(
      "UNAUTHENTICATED",
      "The platform refused the connection (4403): the API key or access token was not accepted. The message was not sent.",
      { cause: error },
    );
  }
  return new OdsError(
    "NETWORK_ERROR",
    `The connection failed before the platform confirmed the message (${describeSocketError(error)}): it may or ` +
      "may not have been stored, and was not sent again.",
    { cause: error },
  );
}

/** Chat: send a message and read the answer as it is written. */
export class ChatApi {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Sends a message and streams the answer's text.
   *
   * @example
   * ```ts
   * for await (const delta of ods.chat.stream({ conversationId, content: "Hello" })) process.stdout.write(delta);
   * ```
   */
  stream(input: ChatInput): ChatStream {
    return new ChatStream(this.#transport, input);
  }

  /** Sends a message and returns the stored answer once it is complete. */
  async send(input: ChatInput): Promise<ChatMessage> {
    return this.stream(input).result();
  }
}
