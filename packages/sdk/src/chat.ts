import { MessageStreamSubscription, SendMessageMutation, StopGenerationMutation } from "./documents.js";
import { OdsError } from "./errors.js";
import type { SdkMessageStreamSubscription, SdkSendMessageMutation } from "./gql/graphql.js";
import { resumable } from "./resume.js";
import { isRetryableSocketError } from "./socket.js";
import type { Transport } from "./transport.js";

/** A stored chat message. */
export type ChatMessage = SdkSendMessageMutation["sendMessage"]["assistantMessage"];
/** The two messages `sendMessage` stores: the user's, and the assistant's (status `STREAMING` at first). */
export type SentMessages = SdkSendMessageMutation["sendMessage"];
type StreamEvent = SdkMessageStreamSubscription["messageStream"];
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
 * The message is sent as soon as the stream is created. The platform keeps a numbered log of each answer, so
 * reading may start late and a dropped connection is resumed after the last event seen (`afterSeq`): no piece
 * of text is lost or repeated. The iteration ends with the answer; when generation fails it throws an
 * {@link OdsError} with the failure's code. It can be iterated once.
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

  constructor(transport: Transport, input: ChatInput) {
    this.#transport = transport;
    this.sent = transport.graphql(SendMessageMutation, { input }).then((data) => data.sendMessage);
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

  async *#deltas(): AsyncGenerator<string, void, undefined> {
    try {
      const { assistantMessage } = await this.sent;
      if (assistantMessage.status !== "STREAMING") {
        this.#settle.resolve(assistantMessage);
        return;
      }
      const events = resumable<StreamEvent>((afterSeq) => this.#events(assistantMessage.id, afterSeq), {
        isTerminal: (event) => event.__typename === "MessageDone" || event.__typename === "MessageFailed",
        isRetryable: isRetryableSocketError,
      });
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

  async *#events(messageId: string, afterSeq: number | undefined): AsyncGenerator<StreamEvent, void, undefined> {
    for await (const data of this.#transport.subscribe(MessageStreamSubscription, {
      messageId,
      afterSeq: afterSeq ?? null,
    })) {
      yield data.messageStream;
    }
  }
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
