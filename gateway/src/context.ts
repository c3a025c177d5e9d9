import type { Caller } from "@ods/kit";

/** What the gateway knows about a request once it has authenticated it. */
export interface GatewayContext {
  requestId: string;
  caller: Caller;
  /** The signed statement of `caller` forwarded to subgraphs. */
  internalToken: string;
  /** Set by the login plugin: the session cookie to add to the response. */
  setCookie?: string;
}
