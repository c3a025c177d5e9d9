import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Logger } from "./logger.js";

export interface RequestScope {
  requestId: string;
  logger: Logger;
}

/**
 * The request id and a logger bound to it, reachable from anywhere in the request's async call tree, so that
 * error masking and log lines carry the id the gateway assigned without threading it through every call.
 */
export const requestScope = new AsyncLocalStorage<RequestScope>();

/** A request id from the incoming header when it looks like one, else a fresh one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : randomUUID();
}
