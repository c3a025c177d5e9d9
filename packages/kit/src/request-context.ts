import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Logger } from "./logger.js";

/** Where a request came from, as the gateway saw it. */
export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

export interface RequestScope {
  requestId: string;
  logger: Logger;
  /** Set once the gateway's internal token is verified: only then are its client headers trusted. */
  client?: ClientInfo;
}

/** Headers on which the gateway forwards the client's address and user agent to subgraphs. */
export const CLIENT_IP_HEADER = "x-ods-client-ip";
export const CLIENT_AGENT_HEADER = "x-ods-client-agent";

/**
 * The client of a request that carried a valid internal token, from the gateway's headers (cut to sane lengths).
 * Never read these headers from a request that has not been authenticated: anyone can send them.
 */
export function clientFrom(headers: Record<string, string | string[] | undefined>): ClientInfo {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;
  return {
    ip: one(headers[CLIENT_IP_HEADER])?.slice(0, 64),
    userAgent: one(headers[CLIENT_AGENT_HEADER])?.slice(0, 300),
  };
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
