import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyInternalToken, type Caller } from "@ods/kit";

/**
 * A tiny OpenAI-compatible chat server on 127.0.0.1 standing in for the model subgraph's `/v1`. It checks the
 * internal token like the model subgraph does and answers by the prompt: "FAIL" → HTTP 500, "SLOW" → streams a
 * word every 100 ms for ten seconds, "STALL" → one chunk and then silence until the client goes away, anything
 * else → "Hello from the model: <prompt>" in five chunks.
 */
export interface FakeModelServer {
  url: string;
  callers: Caller[];
  /** The JSON body of every authenticated request, in arrival order. */
  bodies: Record<string, unknown>[];
  /** Requests whose client went away before the answer ended (aborted calls). */
  aborted: number;
  close(): Promise<void>;
}

export async function startFakeModelServer(secret: string): Promise<FakeModelServer> {
  const state = { callers: [] as Caller[], bodies: [] as Record<string, unknown>[], aborted: 0 };
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
        res.writeHead(404).end();
        return;
      }
      let caller: Caller;
      try {
        caller = await verifyInternalToken(secret, req.headers.authorization?.replace(/^Bearer /, ""));
      } catch {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "bad token" } }));
        return;
      }
      state.callers.push(caller);
      const body = JSON.parse(await readBody(req)) as { model: string; messages: { role: string; content: string }[] };
      state.bodies.push(body);
      const prompt = body.messages.at(-1)!.content;
      if (prompt.includes("FAIL")) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "upstream exploded", type: "server_error" } }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      let closed = false;
      res.on("close", () => {
        if (!res.writableEnded) state.aborted += 1;
        closed = true;
      });
      const chunk = (delta: string) => ({
        id: "c1",
        object: "chat.completion.chunk",
        created: 0,
        model: body.model,
        choices: [{ index: 0, delta: { content: delta }, finish_reason: null }],
      });
      if (prompt.includes("STALL")) {
        res.write(`data: ${JSON.stringify(chunk("thinking"))}\n\n`);
        return;
      }
      const slow = prompt.includes("SLOW");
      // A slow answer lasts a minute: long enough that it is still streaming when a test (on a loaded machine)
      // cancels or sweeps the run, so the abort is what ends it.
      const words = slow
        ? Array.from({ length: 600 }, (_, i) => `w${i} `)
        : ["Hello", " from", " the", " model:", ` ${prompt}`];
      for (const word of words) {
        if (closed) return;
        res.write(`data: ${JSON.stringify(chunk(word))}\n\n`);
        await new Promise((r) => setTimeout(r, slow ? 100 : 30));
      }
      const usage = { prompt_tokens: 7, completion_tokens: words.length, total_tokens: 7 + words.length };
      res.write(`data: ${JSON.stringify({ ...chunk(""), choices: [], usage })}\n\n`);
      res.end("data: [DONE]\n\n");
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get callers() {
      return state.callers;
    },
    get bodies() {
      return state.bodies;
    },
    get aborted() {
      return state.aborted;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString();
}
