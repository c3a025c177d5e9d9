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

/** One graphql-ws client and the subscriptions it carries. */
class Connection {
  /** When its socket last connected; 0 before the first connect. */
  connectedAt = 0;
  active = 0;
  /** Replaced by {@link renewConnection}: it takes no new subscriptions and closes after its last one. */
  retired = false;
  readonly client: WsClient = createWsClient({
    url: socketUrl(),
    lazy: true,
    lazyCloseTimeout: IDLE_CLOSE_MS,
    // Pings keep proxies from cutting an idle connection (nginx's default read timeout is 60 s).
    keepAlive: 25_000,
    retryAttempts: 0,
    on: { connected: () => (this.connectedAt = Date.now()) },
  });
}

let current: Connection | undefined;

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
  if (current && current.active === 0 && current.connectedAt > 0 && Date.now() - current.connectedAt > MAX_AGE_MS) {
    renewConnection();
  }
  current ??= new Connection();
  const connection = current;
  connection.active += 1;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    connection.active -= 1;
    if (connection.retired && connection.active === 0) void connection.client.dispose();
  };
  const unsubscribe = connection.client.subscribe<Data, Extensions>(payload, {
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
 * Makes the next subscription open a new connection, which carries the session cookie as it is now: a connection
 * keeps the credential of its connect, so after the session was refreshed the old one would still be refused.
 * Subscriptions already on the old connection go on; it closes after the last of them.
 */
export function renewConnection(): void {
  const connection = current;
  if (!connection) return;
  current = undefined;
  connection.retired = true;
  if (connection.active === 0) void connection.client.dispose();
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
