import type { CitationData } from "../entities/index.js";

/**
 * What a message's event log (`message:<id>`) holds, one entry per `seq`. `kind` says which member of the
 * `MessageStreamEvent` union the entry becomes; terminal events carry only the message id, because the
 * subscriber sends the stored message whole (written before the terminal event is appended). Heartbeats are
 * not here: they are made per subscriber and take no `seq` of their own.
 */
export type StreamEvent =
  | { kind: "citations"; citations: CitationData[] }
  | { kind: "token"; delta: string }
  | { kind: "done"; messageId: string }
  | { kind: "failed"; messageId: string; code: string; reason: string };

/** The log of one message's stream. */
export const messageStream = (messageId: string) => `message:${messageId}`;

/** The channel on which `stopGeneration` reaches whichever replica runs the generation. */
export const STOP_CHANNEL = "generation.stop";

export const isTerminal = (event: unknown): boolean => {
  const kind = (event as StreamEvent | null)?.kind;
  return kind === "done" || kind === "failed";
};
