// A tiny OpenAI-compatible server on loopback for the model-API e2e test: chat (streaming and not, with tool
// calls when the request offers tools), embeddings and a TEI/Jina-style /rerank. It records every request, so
// the test can check what the platform passed through.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface UpstreamRequest {
  path: string;
  authorization?: string;
  body: Record<string, any>;
}

export interface ModelUpstream {
  /** The base URL to register, ending in /v1. */
  baseUrl: string;
  requests: UpstreamRequest[];
  stop(): Promise<void>;
}

export const UPSTREAM_API_KEY = "sk-e2e-upstream-3b9d";
export const ANSWER = ["Paris", " is", " the", " capital", " of", " France."];

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

export async function startModelUpstream(): Promise<ModelUpstream> {
  const requests: UpstreamRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const raw = req.method === "POST" ? await readBody(req) : "";
    const body = raw ? JSON.parse(raw) : {};
    const path = req.url ?? "";
    requests.push({ path, authorization: req.headers.authorization, body });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (req.headers.authorization !== `Bearer ${UPSTREAM_API_KEY}`) {
      json(401, { error: { message: "bad key", type: "invalid_request_error", code: "invalid_api_key" } });
      return;
    }
    if (path === "/v1/models") {
      json(200, {
        object: "list",
        data: ["up-chat", "up-embed", "up-rerank"].map((id) => ({ id, object: "model", created: 1, owned_by: "e2e" })),
      });
      return;
    }
    if (path === "/v1/embeddings") {
      const inputs: string[] = typeof body.input === "string" ? [body.input] : body.input;
      json(200, {
        object: "list",
        model: body.model,
        data: inputs.map((text, index) => ({ object: "embedding", index, embedding: [text.length, index, 0.5] })),
        usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
      });
      return;
    }
    if (path === "/v1/rerank") {
      // Longer documents rank higher: a rule the test can predict.
      json(200, {
        model: body.model,
        results: (body.documents as string[])
          .map((d, index) => ({ index, relevance_score: d.length / 1000 }))
          .sort((a, b) => b.relevance_score - a.relevance_score)
          .slice(0, body.top_n ?? undefined),
        usage: { total_tokens: 7 },
      });
      return;
    }
    if (path !== "/v1/chat/completions") {
      json(404, { error: { message: `no route ${path}`, type: "invalid_request_error" } });
      return;
    }
    const tool = body.tools?.[0]?.function?.name as string | undefined;
    // After a tool result the model answers in words; with tools offered and none answered yet, it calls one.
    const callTool = tool && !body.messages.some((m: { role: string }) => m.role === "tool");
    const toolCalls = callTool
      ? [{ index: 0, id: "call_e2e", type: "function", function: { name: tool, arguments: '{"city":"Paris"}' } }]
      : undefined;
    const base = { id: "chatcmpl-e2e", created: 1, model: body.model };
    const usage = { prompt_tokens: 11, completion_tokens: ANSWER.length, total_tokens: 11 + ANSWER.length };
    if (!body.stream) {
      json(200, {
        ...base,
        object: "chat.completion",
        choices: [
          {
            index: 0,
            message: callTool
              ? { role: "assistant", content: null, tool_calls: toolCalls!.map(({ index: _i, ...c }) => c) }
              : { role: "assistant", content: ANSWER.join("") },
            finish_reason: callTool ? "tool_calls" : "stop",
          },
        ],
        usage,
      });
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: unknown, finish: string | null = null) =>
      send({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }] });
    chunk({ role: "assistant", content: "" });
    if (toolCalls) {
      chunk({ tool_calls: toolCalls });
    } else {
      for (const word of ANSWER) {
        chunk({ content: word });
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    chunk({}, callTool ? "tool_calls" : "stop");
    if (body.stream_options?.include_usage) send({ ...base, object: "chat.completion.chunk", choices: [], usage });
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
