import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readChatStream } from "./chat-stream.js";
import { UpstreamTarget } from "./upstream.js";

const chunk = (content: string) =>
  JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta: { content } }] });

/** Each scenario writes its body in pieces, a few milliseconds apart, as a network would deliver them. */
const scenarios: Record<string, (res: ServerResponse) => Promise<void>> = {
  // CRLF line ends, an event split across writes, a comment, a multi-line data event, then [DONE].
  pieces: async (res) => {
    for (const piece of [
      `data: ${chunk("Hel")}\r\n\r\n: keep-alive\r\n\r\ndata: ${chunk("lo").slice(0, 10)}`,
      `${chunk("lo").slice(10)}\r`,
      `\n\r\ndata: {"id":"c","object":"chat.completion.chunk","model":"m",\ndata: "choices":[{"index":0,"delta":{"content":"!"}}]}\n\n`,
      "data: [DONE]\n\n",
    ]) {
      res.write(piece);
      await new Promise((r) => setTimeout(r, 5));
    }
    res.end();
  },
  error: async (res) => {
    res.write(`data: ${chunk("partial")}\n\n`);
    res.end(`data: ${JSON.stringify({ error: { message: "the model fell over", type: "server_error" } })}\n\n`);
  },
  drop: async (res) => {
    res.write(`data: ${chunk("cut")}\n\n`);
    await new Promise((r) => setTimeout(r, 10));
    res.socket?.destroy();
  },
  // Three events in one write, then one more.
  together: async (res) => {
    res.write(`data: ${chunk("a")}\n\ndata: ${chunk("b")}\n\ndata: ${chunk("c")}\n\n`);
    await new Promise((r) => setTimeout(r, 5));
    res.end(`data: ${chunk("d")}\n\ndata: [DONE]\n\n`);
  },
  // [DONE], and the end of the body a little later.
  "late-end": async (res) => {
    res.write(`data: ${chunk("x")}\n\ndata: [DONE]\n\n`);
    await new Promise((r) => setTimeout(r, 30));
    res.end();
  },
  missing: async (res) => {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ error: { message: "no such model", type: "invalid_request_error", code: "model_not_found" } }),
    );
  },
};

describe("readChatStream", () => {
  let server: Server;
  let target: UpstreamTarget;
  let connections = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const name = (req.url ?? "").split("/").pop()!;
        if (name !== "missing") res.writeHead(200, { "content-type": "text/event-stream" });
        void scenarios[name]!(res);
      });
    });
    server.on("connection", () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    target = new UpstreamTarget(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, "key");
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const read = async (name: string) => {
    const texts: string[] = [];
    const res = await target.post(`/${name}`, "{}", new AbortController().signal);
    for await (const read of readChatStream(res))
      texts.push(read.map((c) => c.choices[0]?.delta?.content ?? "").join("|"));
    return texts;
  };

  it("yields every chunk however the events are cut into pieces, by the read that completed it, and ends at [DONE]", async () => {
    // "lo" ends in the third piece (its last line end is cut after the \r), with "!".
    expect(await read("pieces")).toEqual(["Hel", "lo|!"]);
  });

  it("yields the events of one write together", async () => {
    expect(await read("together")).toEqual(["a|b|c", "d"]);
  });

  it("keeps the connection for the next request when the body ends after [DONE]", async () => {
    expect(await read("late-end")).toEqual(["x"]);
    await new Promise((r) => setTimeout(r, 60));
    const before = connections;
    expect(await read("late-end")).toEqual(["x"]);
    expect(connections).toBe(before);
  });

  it("throws an error event as the SDK's APIError, after the chunks before it", async () => {
    const texts: string[] = [];
    const res = await target.post("/error", "{}", new AbortController().signal);
    await expect(
      (async () => {
        for await (const read of readChatStream(res)) for (const c of read) texts.push(c.choices[0]!.delta.content!);
      })(),
    ).rejects.toThrow(/the model fell over/);
    expect(texts).toEqual(["partial"]);
  });

  it("throws when the connection drops before the end", async () => {
    await expect(read("drop")).rejects.toThrow(/closed the stream before its end/);
  });

  it("rejects a non-2xx answer with the SDK's error class for its status", async () => {
    const err = await target.post("/missing", "{}", new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as Error).message).toMatch(/no such model/);
  });
});
