import { print } from "graphql";
import type { MessageStreamSubscription as MessageStreamResult, MessageStatus } from "$lib/gql/graphql";
import { subscribe as subscribeOnSocket } from "./client";
import { MessageStreamSubscription } from "./documents";

type StreamEvent = MessageStreamResult["messageStream"];
/** A source of an answer: `[index]` in its text refers to it. */
export type Citation = Extract<StreamEvent, { __typename: "MessageCitations" }>["citations"][number];

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
  /** The stream cannot go on (the message is gone, access was refused, or the server stayed away too long). */
  error(error: Error): void;
}

/** How long to wait before the n-th reconnect in a row. @defaultValue 500 ms doubling up to 8 s */
const backoff = (attempt: number): number => Math.min(8_000, 500 * 2 ** attempt);
/** Consecutive reconnects without any event before giving up (about a minute of waiting). */
const MAX_ATTEMPTS = 12;

/** Close codes after which a retry cannot succeed: bad request, unauthorized, forbidden, too many subscribers. */
const FATAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4409, 4429]);

function isFatal(error: unknown): boolean {
  if (Array.isArray(error)) return true; // GraphQL errors from the server: a retry sends the same thing again.
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" && FATAL_CLOSE_CODES.has(code);
}

function describe(error: unknown): Error {
  if (error instanceof Error) return error;
  if (Array.isArray(error)) return new Error(error.map((e: { message?: string }) => e.message).join("; "));
  const reason = (error as { reason?: unknown } | null)?.reason;
  return new Error(typeof reason === "string" && reason ? reason : "The connection to the server was lost.");
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
  let lastSeq = afterSeq;
  let finished = false;
  let attempts = 0;
  let unsubscribe: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const stop = () => {
    finished = true;
    clearTimeout(timer);
    unsubscribe?.();
  };

  const retry = (error: unknown) => {
    if (finished) return;
    if (isFatal(error) || attempts >= MAX_ATTEMPTS) {
      stop();
      handlers.error(describe(error));
      return;
    }
    timer = setTimeout(subscribe, backoff(attempts));
    attempts += 1;
  };

  const handle = (event: StreamEvent) => {
    if (lastSeq !== undefined && event.seq <= lastSeq) return;
    lastSeq = event.seq;
    attempts = 0;
    switch (event.__typename) {
      case "MessageToken":
        handlers.token(event.delta);
        break;
      case "MessageCitations":
        handlers.citations?.(event.citations);
        break;
      case "MessageDone":
        stop();
        handlers.done(event.message);
        break;
      case "MessageFailed":
        stop();
        handlers.failed(event.code, event.reason, event.message);
        break;
    }
  };

  function subscribe() {
    unsubscribe = subscribeOnSocket<MessageStreamResult>(
      {
        query: print(MessageStreamSubscription),
        operationName: "MessageStream",
        variables: { messageId, afterSeq: lastSeq ?? null },
      },
      {
        next: (result) => {
          if (result.errors?.length) {
            stop();
            handlers.error(describe(result.errors));
          } else if (result.data) {
            handle(result.data.messageStream);
          }
        },
        error: retry,
        // The server ended the subscription without a terminal event (a restart, say): pick up where we were.
        complete: () => retry(new Error("The message stream ended early.")),
      },
    );
  }

  subscribe();
  return stop;
}
