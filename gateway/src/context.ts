import type { Caller, ClientInfo } from "@ods/kit";

/** What the gateway knows about a request once it has authenticated it. */
export interface GatewayContext {
  requestId: string;
  caller: Caller;
  /** The signed statement of `caller` forwarded to subgraphs. */
  internalToken: string;
  /** The client's address (Express's `req.ip`, proxies trusted on loopback only) and user agent. */
  client: ClientInfo;
  /** Set by the login plugin: the session cookie to add to the response. */
  setCookie?: string;
}
