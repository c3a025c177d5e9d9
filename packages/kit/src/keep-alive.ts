/**
 * How long a subgraph keeps an idle keep-alive connection open (Node's default is 5 s). The platform's own HTTP
 * clients (the gateway's subgraph fetcher, the model API's callers) drop a pooled connection after
 * `CLIENT_IDLE_MS`, before this, so they never send a request on a connection the server is closing as
 * idle: with Node's 5 s, the conversation subgraph reused connections to the model API that had just been closed,
 * and under load (a thousand replies at once, the event loop late to read the FIN) a retry could draw another.
 */
export const SERVER_KEEP_ALIVE_MS = 65_000;

/** How long the platform's HTTP clients keep an idle pooled connection (see `SERVER_KEEP_ALIVE_MS`). */
export const CLIENT_IDLE_MS = 60_000;
