import { OdsError } from "./errors.js";

/**
 * graphql-ws close codes after which reconnecting cannot help: the server refused the connection or the
 * operation (bad request, unauthorized, forbidden, duplicate id, too many init requests, internal error).
 */
const FATAL_CLOSE_CODES = new Set([4004, 4005, 4400, 4401, 4403, 4406, 4409, 4429, 4500]);

/**
 * Whether a subscription failure is a dropped connection worth resuming, rather than a refusal.
 *
 * @remarks
 * graphql-ws rejects with the socket's close event (which has a numeric `code`), or with an `Error` when the
 * socket could not open at all; GraphQL errors arrive as {@link OdsError}s, which a retry would only repeat.
 */
export function isRetryableSocketError(error: unknown): boolean {
  if (error instanceof OdsError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "number") return !FATAL_CLOSE_CODES.has(code);
  return true;
}

/** Describes a socket failure for an error message: close events are not `Error`s and carry their own reason. */
export function describeSocketError(error: unknown): string {
  if (error instanceof Error) return error.message;
  const { code, reason } = (error ?? {}) as { code?: unknown; reason?: unknown };
  const detail = typeof reason === "string" && reason ? `: ${reason}` : "";
  return typeof code === "number" ? `the connection closed with code ${code}${detail}` : String(error);
}

/**
 * The WebSocket class to use: the one given, the runtime's own (browsers, Deno, Node 22+), or the `ws` package
 * (Node 20 has no global WebSocket). `ws` is loaded only when needed, so browser bundles never reach it.
 */
export async function webSocketClass(given?: unknown): Promise<unknown> {
  if (given) return given;
  const global = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (global) return global;
  const ws = await import("ws");
  return ws.WebSocket;
}
