import { CombinedError } from "@urql/core";
import { print, type GraphQLFormattedError } from "graphql";
import type {
  ChatSubscription as ChatResult,
  MessageStatus,
  MessageStreamSubscription as MessageStreamResult,
  SendMessageInput,
} from "$lib/gql/graphql";
import { subscribe as subscribeOnSocket } from "./client";
import { ChatSubscription, MessageStreamSubscription } from "./documents";

type StreamEvent = MessageStreamResult["messageStream"];
/** A source of an answer: `[index]` in its text refers to it. */
export type Citation = Extract<StreamEvent, { __typename: "MessageCitations" }>["citations"][number];
/** What `chat` sends first: the stored question, the reply (STREAMING) and their conversation. */
export type ChatTurn = Extract<ChatResult["chat"], { __typename: "MessageStarted" }>;

/** The stored message a terminal event carries. */
export interface FinalMessage {
  id: string;
  content: string;
  status: MessageStatus;
}

/** What {@link followMessage} reports while it follows one assistant message. */
export interface MessageStreamHandlers {
  /** A piece of generated text, in order, never twice. */
  token(delta: string): void;
  /** The sources the answer draws on (before its first token), when the conversation uses knowledge bases. */
  citations?(citations: Citation[]): void;
  /** Generation ended (completed or stopped): `message` holds the whole stored text. */
  done(message: FinalMessage): void;
  /** Generation failed upstream; `message` holds whatever text was stored. */
  failed(code: string, reason: string, message: FinalMessage): void;
  /**
   * The stream cannot go on (the message is gone, access was refused, or the server stayed away too long). The
   * server's GraphQL errors come as a `CombinedError` (see `errorMessage` and `isUnauthenticated`).
   */
  error(error: Error): void;
}

/** What {@link startChat} reports: the stored turn, then its reply as {@link followMessage} reports it. */
export interface ChatHandlers extends MessageStreamHandlers {
  /** The server stored the message and a STREAMING reply; the reply's events follow. Comes first, once. */
  started(turn: ChatTurn): void;
  /**
   * Before {@link ChatHandlers.started}: the message was not sent. Either the server refused it (a `CombinedError`
   * with its GraphQL errors; nothing was stored), or the connection failed before the server confirmed it (a
   * {@link ChatConnectionError}). After it: as {@link MessageStreamHandlers.error}.
   */
  error(error: Error): void;
}

/** The connection failed before the server confirmed a chat message. */
export class ChatConnectionError extends Error {
  constructor(
    message: string,
    /** The WebSocket's close code, when it closed with one (4403: the server refused the connection). */
    readonly closeCode?: number,
    /** Whether the server may have stored the message all the same (the conversation tells). */
    readonly maybeStored = false,
  ) {
    super(message);
    this.name = "ChatConnectionError";
  }
}

/** How long to wait before the n-th reconnect in a row. @defaultValue 500 ms doubling up to 8 s */
const backoff = (attempt: number): number => Math.min(8_000, 500 * 2 ** attempt);
/** Consecutive reconnects without any event before giving up (about a minute of waiting). */
const MAX_ATTEMPTS = 12;

/** Close codes after which a retry cannot succeed: bad request, unauthorized, forbidden, too many subscribers. */
const FATAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4409, 4429]);

function closeCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

function isFatal(error: unknown): boolean {
  if (Array.isArray(error)) return true; // GraphQL errors from the server: a retry sends the same thing again.
  const code = closeCode(error);
  return code !== undefined && FATAL_CLOSE_CODES.has(code);
}

function reasonOf(error: unknown): string | undefined {
  const reason = (error as { reason?: unknown } | null)?.reason;
  return typeof reason === "string" && reason ? reason : undefined;
}

function describe(error: unknown): Error {
  if (error instanceof Error) return error;
  if (Array.isArray(error)) return new CombinedError({ graphQLErrors: error as GraphQLFormattedError[] });
  return new Error(reasonOf(error) ?? "The connection to the server was lost.");
}

/**
 * Follows the stream of one assistant message until its terminal event: the machinery of {@link followMessage},
 * which {@link startChat} also hands its `chat` subscription to once the message is stored.
 */
class Follower {
  #lastSeq: number | undefined;
  #finished = false;
  #attempts = 0;
  #unsubscribe: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly handlers: MessageStreamHandlers,
    afterSeq?: number,
  ) {
    this.#lastSeq = afterSeq;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Stops following (the generation itself goes on). */
  readonly stop = (): void => {
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#unsubscribe?.();
  };

  /** Takes a subscription opened elsewhere as its own: {@link Follower.stop} ends it. */
  adopt(unsubscribe: () => void): void {
    this.#unsubscribe = unsubscribe;
  }

  /** Subscribes `messageStream` after the last event seen. */
  follow(messageId: string): void {
    this.#unsubscribe = subscribeOnSocket<MessageStreamResult>(
      {
        query: print(MessageStreamSubscription),
        operationName: "MessageStream",
        variables: { messageId, afterSeq: this.#lastSeq ?? null },
      },
      {
        next: (result) => {
          if (result.errors?.length) this.fail(result.errors);
          else if (result.data) this.handle(result.data.messageStream);
        },
        error: (error) => this.retry(messageId, error),
        // The server ended the subscription without a terminal event (a restart, say): pick up where we were.
        complete: () => this.retry(messageId, new Error("The message stream ended early.")),
      },
    );
  }

  /** Events up to `seq` were seen (MessageStarted is `chat`'s event 0): resuming starts after it. */
  seen(seq: number): void {
    this.#lastSeq = seq;
    this.#attempts = 0;
  }

  handle(event: StreamEvent): void {
    if (this.#finished || (this.#lastSeq !== undefined && event.seq <= this.#lastSeq)) return;
    this.#lastSeq = event.seq;
    this.#attempts = 0;
    switch (event.__typename) {
      case "MessageToken":
        this.handlers.token(event.delta);
        break;
      case "MessageCitations":
        this.handlers.citations?.(event.citations);
        break;
      case "MessageDone":
        this.stop();
        this.handlers.done(event.message);
        break;
      case "MessageFailed":
        this.stop();
        this.handlers.failed(event.code, event.reason, event.message);
        break;
    }
  }

  /** The stream cannot go on: stops and reports `error`. */
  fail(error: unknown): void {
    if (this.#finished) return;
    this.stop();
    this.handlers.error(describe(error));
  }

  /** The subscription ended without a terminal event: resumes after the last event seen, unless that cannot help. */
  retry(messageId: string, error: unknown): void {
    if (this.#finished) return;
    if (isFatal(error) || this.#attempts >= MAX_ATTEMPTS) {
      this.fail(error);
      return;
    }
    this.#timer = setTimeout(() => this.follow(messageId), backoff(this.#attempts));
    this.#attempts += 1;
  }
}

/**
 * Follows the token stream of one assistant message until its terminal event.
 *
 * @remarks
 * The server keeps a numbered event log per message. When the socket drops, this subscribes again with
 * `afterSeq` set to the last sequence number seen, so no token is lost or shown twice; events at or below that
 * number are ignored in case the server replays them.
 *
 * @param afterSeq - resume after this event; omit to start from the first one.
 * @returns a function that stops following (the generation itself goes on; see `stopGeneration`).
 */
export function followMessage(messageId: string, handlers: MessageStreamHandlers, afterSeq?: number): () => void {
  const follower = new Follower(handlers, afterSeq);
  follower.follow(messageId);
  return follower.stop;
}

/**
 * Sends a message and streams its reply in one subscription (`chat`), so the first token comes a round trip
 * sooner than `sendMessage` and then {@link followMessage}.
 *
 * @remarks
 * The first event, MessageStarted, carries the stored messages; the reply's events follow as `messageStream`
 * would send them. If the connection drops or the subscription ends early after that, this resumes through
 * `messageStream` after the last event seen, like {@link followMessage}. Before it, nothing is resumed or sent
 * again (the message might be stored twice): the failure goes to `error`.
 *
 * @returns a function that stops following (the generation itself goes on; see `stopGeneration`). Before
 * MessageStarted it also stops listening for the confirmation, without unsending anything.
 */
export function startChat(input: SendMessageInput, handlers: ChatHandlers): () => void {
  const follower = new Follower(handlers);
  let messageId: string | undefined;

  /** `chat` failed before MessageStarted: nothing is resumed or sent again. */
  const unconfirmed = (error: unknown) => {
    if (follower.finished) return;
    // GraphQL errors (a refused operation: nothing ran) come as a CombinedError, like those of a `next`.
    if (Array.isArray(error)) return follower.fail(error);
    follower.stop();
    const code = closeCode(error);
    const reason = reasonOf(error);
    handlers.error(
      code !== undefined && FATAL_CLOSE_CODES.has(code)
        ? new ChatConnectionError(
            `The server refused the connection${reason ? ` (${reason})` : ""}, so the message was not sent.`,
            code,
          )
        : new ChatConnectionError(
            "The connection was lost before the server confirmed the message, so it may not have been sent. " +
              "Check the conversation before sending it again.",
            code,
            true,
          ),
    );
  };

  follower.adopt(
    subscribeOnSocket<ChatResult>(
      { query: print(ChatSubscription), operationName: "Chat", variables: { input } },
      {
        next: (result) => {
          const event = result.data?.chat;
          if (result.errors?.length) {
            if (messageId === undefined && result.errors.some((e) => e.extensions?.code === "UPSTREAM_UNAVAILABLE")) {
              // The gateway lost the conversation service mid-request: the message may have been stored or not.
              follower.stop();
              handlers.error(
                new ChatConnectionError(
                  "The server lost track of the message before confirming it, so it may not have been sent. " +
                    "Check the conversation before sending it again.",
                  undefined,
                  true,
                ),
              );
              return;
            }
            // Before MessageStarted these are the send's own refusals, and nothing was stored.
            follower.fail(result.errors);
          } else if (!event || follower.finished) {
            return;
          } else if (event.__typename !== "MessageStarted") {
            if (messageId !== undefined) follower.handle(event);
          } else if (messageId === undefined) {
            messageId = event.assistantMessage.id;
            follower.seen(event.seq);
            handlers.started(event);
          }
        },
        error: (error) => (messageId === undefined ? unconfirmed(error) : follower.retry(messageId, error)),
        complete: () =>
          messageId === undefined
            ? unconfirmed(new Error("The server ended the chat before confirming the message."))
            : follower.retry(messageId, new Error("The chat stream ended early.")),
      },
    ),
  );
  return follower.stop;
}
