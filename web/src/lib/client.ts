import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";

/** The gateway's graphql-ws endpoint on the page's own origin (the session cookie goes with the upgrade). */
function socketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}/graphql`;
}

/**
 * The one graphql-ws connection of the app, opened on the first subscription and closed shortly after the last.
 *
 * @remarks
 * It never retries on its own: graphql-ws would re-send a subscription with its original variables, while a
 * message stream must resume after the last event it saw. {@link followMessage} reconnects instead, with the
 * right `afterSeq`.
 */
export const wsClient: WsClient = createWsClient({
  url: socketUrl(),
  lazy: true,
  lazyCloseTimeout: 3_000,
  retryAttempts: 0,
});

/**
 * The urql client for queries and mutations: POST only, because Apollo Server's CSRF prevention rejects the GET
 * requests urql would otherwise send (STACK.md pitfall 7). The HttpOnly session cookie goes along by itself.
 */
export const client = new Client({
  url: "/graphql",
  preferGetMethod: false,
  requestPolicy: "cache-and-network",
  fetchOptions: { credentials: "same-origin" },
  exchanges: [
    cacheExchange,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({ unsubscribe: wsClient.subscribe({ ...request, query: request.query ?? "" }, sink) }),
      }),
    }),
  ],
});
