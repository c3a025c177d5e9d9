import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { CLIENT_IDLE_MS } from "@ods/kit";

/** What Apollo's `RemoteGraphQLDataSource` passes its fetcher: a plain method, headers and a JSON body. */
export interface SubgraphRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal | null;
}

/** The part of a fetch `Response` the gateway reads: status, headers, and the body as text or JSON. */
export interface SubgraphResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  redirected: boolean;
  bodyUsed: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/**
 * The gateway's HTTP client for subgraph GraphQL calls: keep-alive connections, at most `maxSockets` per
 * subgraph, and requests beyond that wait in line for a free connection.
 *
 * @remarks Node's `fetch` opens a new connection whenever none is free, without limit: 1,000 simultaneous
 * requests meant 1,000 connects to one subgraph, more than its accept backlog (511) holds while it is busy, so the
 * rest timed out after 10 s and the user got an internal error for what was only a queue. A bounded pool turns
 * that burst into waiting, and the plain `http` client costs less per request than `fetch`'s streams.
 */
export function subgraphFetcher(options: { maxSockets?: number } = {}) {
  const maxSockets = options.maxSockets ?? 256;
  const agents = {
    // Idle connections are dropped after CLIENT_IDLE_MS, before the subgraph's keep-alive timeout closes them.
    http: new HttpAgent({ keepAlive: true, maxSockets, scheduling: "lifo", timeout: CLIENT_IDLE_MS }),
    https: new HttpsAgent({ keepAlive: true, maxSockets, scheduling: "lifo", timeout: CLIENT_IDLE_MS }),
  };
  const send = (url: string, init: SubgraphRequestInit, mayRetry: boolean): Promise<SubgraphResponse> =>
    new Promise((resolve, reject) => {
      const secure = url.startsWith("https:");
      const request = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: init.method ?? "GET",
          headers: init.headers,
          // The retry (below) goes on a connection of its own: another pooled one may be as stale.
          agent: mayRetry ? (secure ? agents.https : agents.http) : false,
          signal: init.signal ?? undefined,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 502;
            resolve({
              ok: status >= 200 && status < 300,
              status,
              statusText: res.statusMessage ?? "",
              url,
              redirected: false,
              bodyUsed: false,
              headers: { get: (name) => headerValue(res.headers, name) },
              text: async () => body,
              json: async () => JSON.parse(body) as unknown,
            });
          });
        },
      );
      let answered = false;
      request.once("response", () => (answered = true));
      request.on("error", (err: NodeJS.ErrnoException) => {
        // A pooled connection the subgraph closed as idle just as this request went out (its keep-alive timeout):
        // the subgraph never read the request, so sending it again on another connection is safe, even a mutation.
        if (mayRetry && !answered && request.reusedSocket && err.code === "ECONNRESET" && !init.signal?.aborted) {
          send(url, init, false).then(resolve, reject);
        } else {
          reject(err);
        }
      });
      request.end(init.body);
    });
  return (url: string, init: SubgraphRequestInit = {}): Promise<SubgraphResponse> => send(url, init, true);
}

/** The gateway's one pool of subgraph connections: query plans and subscription entity fetches share it. */
export const subgraphHttp = subgraphFetcher();

function headerValue(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
}
