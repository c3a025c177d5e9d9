import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  authorization?: string;
  body: {
    model: string;
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
    messages: { role: string; content: string }[];
    temperature?: number;
    max_tokens?: number;
    prompt_template?: unknown;
  };
  /** True once the client hung up before the reply was finished (a stopped generation). */
  aborted: boolean;
  finished: boolean;
}

export interface ModelServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** The text token `i` of a reply: easy to check for loss, repeats and order. */
export const tokenText = (i: number) => `t${i} `;

/**
 * A tiny OpenAI-compatible streaming server on 127.0.0.1 for tests: `POST /v1/chat/completions` answers with
 * server-sent event chunks. The last user message steers it: `tokens:N` (default 20) chunks, `delay:MS`
 * (default 5; 100 for a model whose name ends in `-slow`) between them, `break:K` drops the connection after K
 * chunks, `stall:K` goes silent after K chunks with the connection left open, `numbered` prefixes every token with
 * the request's number (`r3:t0 `), so that two answers to the same question differ. A client that hangs up stops it.
 */
export async function startModelServer(): Promise<ModelServer> {
  const requests: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    void readJson(req).then(async (body) => {
      const seen: SeenRequest = {
        authorization: req.headers.authorization,
        body: body as SeenRequest["body"],
        aborted: false,
        finished: false,
      };
      requests.push(seen);
      res.on("close", () => {
        if (!seen.finished) seen.aborted = true;
      });
      const last = seen.body.messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
      const count = Number(/tokens:(\d+)/.exec(last)?.[1] ?? 20);
      // A model named `…-slow` takes its time whatever the message says (to hold a regenerated reply open).
      const delay = seen.body.model.endsWith("-slow") ? 100 : Number(/delay:(\d+)/.exec(last)?.[1] ?? 5);
      const breakAfter = Number(/break:(\d+)/.exec(last)?.[1] ?? -1);
      const stallAfter = Number(/stall:(\d+)/.exec(last)?.[1] ?? -1);
      const prefix = /\bnumbered\b/.test(last) ? `r${requests.length}:` : "";
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const chunk = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
      const base = { id: "chatcmpl-test", object: "chat.completion.chunk", created: 0, model: seen.body.model };
      for (let i = 0; i < count; i++) {
        if (seen.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (seen.aborted) return;
        if (i === breakAfter) {
          res.destroy();
          return;
        }
        if (i === stallAfter) return; // silent until the client hangs up (or the server closes)
        chunk({ ...base, choices: [{ index: 0, delta: { content: prefix + tokenText(i) }, finish_reason: null }] });
      }
      chunk({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
      chunk({ ...base, choices: [], usage: { prompt_tokens: 7, completion_tokens: count, total_tokens: 7 + count } });
      res.write("data: [DONE]\n\n");
      seen.finished = true;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return JSON.parse(Buffer.concat(parts).toString());
}
