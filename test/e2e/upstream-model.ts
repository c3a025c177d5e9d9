// A tiny OpenAI-compatible chat server on loopback whose answers the test decides: the stand-in for a real LLM
// where a test needs a particular answer (all else in the platform stays real).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FixedModel {
  baseUrl: string;
  /** Every request body the server received, newest last. */
  requests: { model: string; messages: { role: string; content: string }[] }[];
  answer: string;
  stop(): Promise<void>;
}

export async function startFixedModel(answer: string): Promise<FixedModel> {
  const state: FixedModel = { baseUrl: "", requests: [], answer, stop: async () => {} };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.url?.endsWith("/models")) {
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({ object: "list", data: [{ id: "fixed", object: "model", created: 0, owned_by: "test" }] }),
        );
        return;
      }
      const request = JSON.parse(body || "{}");
      state.requests.push(request);
      const id = `chatcmpl-${state.requests.length}`;
      if (request.stream) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const chunk = (delta: object, finish: string | null) =>
          `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 0, model: "fixed", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(chunk({ role: "assistant", content: state.answer }, null));
        res.write(chunk({}, "stop"));
        res.end("data: [DONE]\n\n");
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          id,
          object: "chat.completion",
          created: 0,
          model: "fixed",
          choices: [{ index: 0, message: { role: "assistant", content: state.answer }, finish_reason: "stop" }],
          usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
