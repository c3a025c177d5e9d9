import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "@urql/core";
import {
  createClient as createWsClient,
  type Client as WsClient,
  type FormattedExecutionResult,
  type Sink,
  type SubscribePayload,
} from "graphql-ws";

/** The gateway's graphql-ws endpoint on the page's own origin (the session cookie goes with the upgrade). */
function socketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}/graphql`;
}

/**
 * How long the graphql-ws connection stays open after its last subscription ends: long enough to span the pause
 * between two messages of a chat, so an answer's stream does not wait for a new socket (connect, upgrade,
 * `connection_init`, and the gateway's own connection to the subgraph) before its first token.
 */
const IDLE_CLOSE_MS = 60_000;
/**
 * An idle connection older than this is replaced before the next subscription: it carries the session credential
 * of its connect (access tokens live 15 minutes), and the gateway checks that credential again for every
 * subscription. A new connection takes the cookie as it is now.
 */
const MAX_AGE_MS = 10 * 60_000;

function newSocket(): WsClient {
  return createWsClient({
    url: socketUrl(),
    lazy: true,
    lazyCloseTimeout: IDLE_CLOSE_MS,
    // Pings keep proxies from cutting an idle connection (nginx's default read timeout is 60 s).
    keepAlive: 25_000,
    retryAttempts: 0,
    on: { connected: () => (connectedAt = Date.now()) },
  });
}

let socket: WsClient | undefined;
let connectedAt = 0;
let active = 0;

/**
 * Subscribes on the app's one graphql-ws connection, opened on the first subscription and kept for a while after
 * the last (see {@link IDLE_CLOSE_MS}); returns the function that unsubscribes.
 *
 * @remarks
 * It never retries on its own: graphql-ws would re-send a subscription with its original variables, while a
 * message stream must resume after the last event it saw. {@link followMessage} reconnects instead, with the
 * right `afterSeq`.
 */
export function subscribe<Data = Record<string, unknown>, Extensions = unknown>(
  payload: SubscribePayload,
  sink: Sink<FormattedExecutionResult<Data, Extensions>>,
): () => void {
  if (socket && active === 0 && connectedAt > 0 && Date.now() - connectedAt > MAX_AGE_MS) {
    void socket.dispose();
    socket = undefined;
    connectedAt = 0;
  }
  socket ??= newSocket();
  active += 1;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    active -= 1;
  };
  const unsubscribe = socket.subscribe<Data, Extensions>(payload, {
    next: (value) => sink.next(value),
    error: (error) => {
      end();
      sink.error(error);
    },
    complete: () => {
      end();
      sink.complete();
    },
  });
  return () => {
    end();
    unsubscribe();
  };
}

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
        subscribe: (sink) => ({ unsubscribe: subscribe({ ...request, query: request.query ?? "" }, sink) }),
      }),
    }),
  ],
});
