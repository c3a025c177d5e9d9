import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import OpenAI from "openai";
import { CLIENT_IDLE_MS } from "../keep-alive.js";

/*
 * The hot paths of model calls talk HTTP themselves instead of going through the `openai` SDK: the model
 * subgraph's chat completions to an upstream (relayed as text, see the model subgraph's chat-relay.ts) and the
 * conversation subgraph's replies through the model API (createChatStreamer). Per request the SDK builds headers,
 * options and a fetch over undici, and reads every chunk through web streams. Here a request is one
 * `http.request` on a shared keep-alive socket pool with a body built once. Failures are thrown as the SDK's own
 * error classes, so classifying (retry or not) and describing them is the same for both paths.
 */

// Sockets are reused across calls and endpoints; a stream holds its socket for its whole length, hence no cap. An
// idle one is dropped after a minute (`timeout` closes free sockets only), before a server keeping connections
// 65 s (the subgraphs, most load balancers) closes it under a request.
const agentOptions = { keepAlive: true, maxSockets: Infinity, scheduling: "lifo", timeout: CLIENT_IDLE_MS } as const;
const httpAgent = new HttpAgent(agentOptions);
const httpsAgent = new HttpsAgent(agentOptions);

/** Where an endpoint's requests go: its origin, base path and headers, computed once per endpoint. */
export class UpstreamTarget {
  private readonly secure: boolean;
  private readonly hostname: string;
  private readonly port: string;
  private readonly basePath: string;
  private readonly search: string;
  private readonly authorization: string | undefined;

  constructor(baseUrl: string, apiKey: string | undefined) {
    const url = new URL(baseUrl);
    this.secure = url.protocol === "https:";
    // URL keeps IPv6 literals bracketed; http.request wants them bare.
    this.hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
    this.port = url.port;
    this.basePath = url.pathname.replace(/\/+$/, "");
    this.search = url.search;
    // Keyless upstreams (a local vLLM or Ollama) get no Authorization header at all.
    this.authorization = apiKey ? `Bearer ${apiKey}` : undefined;
  }

  /**
   * POSTs a JSON `body` (already serialised) to `path` under the base URL and resolves with the response once its
   * status is 2xx. Rejects with `OpenAI.APIError` (by status) for any other status, `APIConnectionError` when the
   * upstream cannot be reached, and `APIUserAbortError` when `signal` aborts before the response.
   *
   * @remarks Aborting `signal` later destroys the response (the upstream sees the connection close); a response
   * read to its end leaves the socket to the pool.
   *
   * @param onSent - called as the request is written to its connection (again if it is sent again)
   */
  post(path: string, body: string, signal: AbortSignal, onSent?: () => void): Promise<IncomingMessage> {
    return this.send(path, body, signal, true, onSent);
  }

  /** `mayRetry` false: this is the retry, on a connection of its own (another pooled one may be as stale). */
  private send(
    path: string,
    body: string,
    signal: AbortSignal,
    mayRetry: boolean,
    onSent?: () => void,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new OpenAI.APIUserAbortError());
        return;
      }
      const headers: Record<string, string | number> = {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      };
      if (this.authorization) headers.authorization = this.authorization;
      const options: RequestOptions = {
        method: "POST",
        hostname: this.hostname,
        port: this.port || undefined,
        path: `${this.basePath}${path}${this.search}`,
        headers,
        agent: mayRetry ? (this.secure ? httpsAgent : httpAgent) : false,
      };
      const req = this.secure ? httpsRequest(options) : httpRequest(options);
      let response: IncomingMessage | undefined;
      const onAbort = () => {
        // A response read to its end is left alone: its socket goes back to the pool.
        if (response?.complete) return;
        const error = new OpenAI.APIUserAbortError();
        if (response) response.destroy(error);
        req.destroy(error);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      req.once("close", () => signal.removeEventListener("abort", onAbort));
      req.once("error", (err: NodeJS.ErrnoException) => {
        if (response) return;
        if (signal.aborted) {
          reject(new OpenAI.APIUserAbortError());
        } else if (mayRetry && req.reusedSocket && err.code === "ECONNRESET") {
          // A pooled socket the upstream closed while it sat idle: nothing was sent, so sending again is safe, on
          // a new connection of its own.
          this.send(path, body, signal, false, onSent).then(resolve, reject);
        } else {
          reject(new OpenAI.APIConnectionError({ cause: err }));
        }
      });
      req.once("response", (res: IncomingMessage) => {
        response = res;
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(res);
          return;
        }
        readText(res).then(
          (text) => reject(errorFromResponse(status, text, res)),
          () => reject(signal.aborted ? new OpenAI.APIUserAbortError() : errorFromResponse(status, "", res)),
        );
      });
      // Node writes a request once its socket is assigned, right after the "socket" event and in the same tick:
      // code awaiting `onSent` runs after the write.
      if (onSent) req.once("socket", onSent);
      req.end(body);
    });
  }
}

/** The whole body of a response as text; rejects when the connection drops before its end. */
export function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    res.setEncoding("utf8");
    res.on("data", (part: string) => (text += part));
    res.once("end", () => resolve(text));
    res.once("error", reject);
    res.once("close", () => {
      if (!res.complete) reject(new Error("the upstream closed the connection before the end of its answer"));
    });
  });
}

/** The error the SDK would throw for an upstream answer with a non-2xx status (same class, code and message). */
function errorFromResponse(status: number, text: string, res: IncomingMessage): Error {
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  return OpenAI.APIError.generate(
    status,
    parsed as object | undefined,
    parsed ? undefined : text || undefined,
    headers,
  );
}

/**
 * Reads a streamed response as text, piece by piece as the network delivers it (several pieces that arrived
 * together come as one). `next()` resolves with `null` at the end and rejects when the connection drops first.
 */
export class BodyReader {
  private readonly pieces: string[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(res: IncomingMessage) {
    res.setEncoding("utf8");
    res.on("data", (piece: string) => {
      this.pieces.push(piece);
      this.notify();
    });
    res.once("end", () => {
      this.ended = true;
      this.notify();
    });
    res.once("error", (err: Error) => {
      // A reset reads as "aborted"; say what it means, keeping what Node said as the cause.
      this.failure ??=
        err instanceof OpenAI.APIUserAbortError
          ? err
          : new Error("the upstream closed the stream before its end", { cause: err });
      this.notify();
    });
    res.once("close", () => {
      if (!res.complete) this.failure ??= new Error("the upstream closed the stream before its end");
      this.notify();
    });
  }

  async next(): Promise<string | null> {
    for (;;) {
      if (this.pieces.length > 0) {
        const text = this.pieces.length === 1 ? this.pieces[0]! : this.pieces.join("");
        this.pieces.length = 0;
        return text;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
