import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What the tiny upstream saw, for assertions. */
export interface UpstreamLog {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies are checked by the assertions
  requests: { path: string; authorization?: string; body: Record<string, any> }[];
  /** Set when a client connection of a slow stream closed before the stream finished. */
  abortedStreams: number;
}

export const UPSTREAM_KEY = "sk-upstream-test-key-7f3a9c";

/**
 * A real, tiny OpenAI-compatible server on 127.0.0.1 (the model subgraph proxies to it in the tests). The model
 * name chooses a behaviour: "tiny-chat" answers normally, "slow-chat" streams a word every 20 ms for seconds,
 * "broken-chat" sends one chunk and then drops the connection, "long-chat" answers 400 context_length_exceeded,
 * "busy-chat" answers 429 with `retry-after: 7`.
 */
export async function startUpstream(): Promise<{ url: string; log: UpstreamLog; close(): Promise<void> }> {
  const log: UpstreamLog = { requests: [], abortedStreams: 0 };
  const server: Server = createServer(async (req, res) => {
    const body = req.method === "POST" ? JSON.parse(await readBody(req)) : {};
    log.requests.push({ path: req.url ?? "", authorization: req.headers.authorization, body });
    if (req.headers.authorization !== `Bearer ${UPSTREAM_KEY}`) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ error: { message: "bad key", type: "invalid_request_error", code: "invalid_api_key" } }),
      );
      return;
    }
    if (req.url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          object: "list",
          data: ["tiny-chat", "slow-chat", "broken-chat"].map((id) => ({
            id,
            object: "model",
            created: 1,
            owned_by: "test",
          })),
        }),
      );
      return;
    }
    if (req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    if (body.model === "long-chat") {
      // Deterministic client errors: an OpenAI-compatible server refuses a prompt over its context window.
      res.writeHead(400, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: {
            message: "This model's maximum context length is 8 tokens.",
            type: "invalid_request_error",
            param: "messages",
            code: "context_length_exceeded",
          },
        }),
      );
      return;
    }
    if (body.model === "busy-chat") {
      res.writeHead(429, { "content-type": "application/json", "retry-after": "7" });
      res.end(
        JSON.stringify({ error: { message: "Rate limit reached", type: "requests", param: null, code: "rate_limit" } }),
      );
      return;
    }
    const words = ["Hello", " from", " the", " upstream."];
    const toolCall = body.tools
      ? [
          {
            index: 0,
            id: "call_1",
            type: "function",
            function: { name: body.tools[0].function.name, arguments: '{"city":"Paris"}' },
          },
        ]
      : undefined;
    const base = { id: "chatcmpl-up", created: 1, model: body.model };
    if (!body.stream) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          ...base,
          object: "chat.completion",
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: words.join(""), tool_calls: toolCall },
              finish_reason: toolCall ? "tool_calls" : "stop",
            },
          ],
          usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
        }),
      );
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: unknown, finish: string | null = null) =>
      send({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }] });
    if (body.model === "slow-chat") {
      let closed = false;
      res.on("close", () => {
        if (!res.writableEnded) log.abortedStreams++;
        closed = true;
      });
      for (let i = 0; i < 250 && !closed; i++) {
        chunk({ content: `w${i} ` });
        await new Promise((r) => setTimeout(r, 20));
      }
      res.end("data: [DONE]\n\n");
      return;
    }
    chunk({ role: "assistant", content: "" });
    for (const w of words) chunk({ content: w });
    if (body.model === "broken-chat") {
      // Let the chunks reach the client first, then drop the connection mid-stream.
      setTimeout(() => res.destroy(), 50);
      return;
    }
    if (toolCall) chunk({ tool_calls: toolCall });
    chunk({}, toolCall ? "tool_calls" : "stop");
    if (body.stream_options?.include_usage) {
      send({
        ...base,
        object: "chat.completion.chunk",
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
      });
    }
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    log,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString("utf8");
}
