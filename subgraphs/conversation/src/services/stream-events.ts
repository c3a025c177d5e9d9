/**
 * What a message's event log (`message:<id>`) holds, one entry per `seq`. `kind` says which member of the
 * `MessageStreamEvent` union the entry becomes; terminal events carry only the message id, because the
 * subscriber sends the stored message whole (written before the terminal event is appended).
 */
export type StreamEvent =
  | { kind: "token"; delta: string }
  | { kind: "done"; messageId: string }
  | { kind: "failed"; messageId: string; code: string; reason: string };

/** The log of one message's stream. */
export const messageStream = (messageId: string) => `message:${messageId}`;

/** The channel on which `stopGeneration` reaches whichever replica runs the generation. */
export const STOP_CHANNEL = "generation.stop";

export const isTerminal = (event: unknown): boolean => (event as StreamEvent | null)?.kind !== "token";
