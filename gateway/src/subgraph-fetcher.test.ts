import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subgraphFetcher } from "./subgraph-fetcher.js";

let server: Server;
let url: string;
let open = 0;
let mostOpen = 0;
let inFlight = 0;
let mostInFlight = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      setTimeout(() => {
        inFlight -= 1;
        if (req.url === "/teapot") {
          res.writeHead(418, { "content-type": "text/plain" }).end("short and stout");
          return;
        }
        res.writeHead(200, { "content-type": "application/json", "x-echo": req.headers["x-echo"] ?? "" });
        res.end(JSON.stringify({ method: req.method, body }));
      }, 20);
    });
  });
  server.on("connection", (socket) => {
    open += 1;
    mostOpen = Math.max(mostOpen, open);
    socket.on("close", () => (open -= 1));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("subgraphFetcher", () => {
  it("answers a burst of requests over at most maxSockets connections, queueing the rest", async () => {
    const fetcher = subgraphFetcher({ maxSockets: 4 });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetcher(`${url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-echo": `n${i}` },
          body: JSON.stringify({ i }),
        }),
      ),
    );
    expect(answers.every((a) => a.ok && a.status === 200)).toBe(true);
    expect(await answers[7]!.json()).toEqual({ method: "POST", body: '{"i":7}' });
    expect(answers[7]!.headers.get("X-Echo")).toBe("n7");
    expect(mostInFlight).toBeLessThanOrEqual(4);
    expect(mostOpen).toBeLessThanOrEqual(4);
  });

  it("passes an error status and its body through for the caller to judge", async () => {
    const answer = await subgraphFetcher()(`${url}/teapot`, { method: "GET" });
    expect(answer).toMatchObject({ ok: false, status: 418 });
    expect(await answer.text()).toBe("short and stout");
    expect(answer.headers.get("content-type")).toBe("text/plain");
  });

  it("sends a request again when its pooled connection is reset before any answer (the keep-alive race)", async () => {
    // The second request finds its connection reset unanswered, as when the subgraph closes an idle keep-alive
    // connection just as the gateway reuses it; the subgraph never handled it.
    let handled = 0;
    let arrived = 0;
    const flaky = createServer((req, res) => {
      arrived += 1;
      req.resume();
      req.on("end", () => {
        if (arrived === 2) {
          req.socket.resetAndDestroy();
          return;
        }
        handled += 1;
        res.end(JSON.stringify({ handled }));
      });
    });
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    const flakyUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/graphql`;
    try {
      const fetcher = subgraphFetcher({ maxSockets: 1 });
      const post = async () => (await fetcher(flakyUrl, { method: "POST", body: "{}" })).json();
      expect(await post()).toEqual({ handled: 1 });
      expect(await post()).toEqual({ handled: 2 });
      expect(arrived).toBe(3);
    } finally {
      flaky.closeAllConnections();
      await new Promise((resolve) => flaky.close(resolve));
    }
  });

  it("rejects when the subgraph cannot be reached", async () => {
    await expect(subgraphFetcher()("http://127.0.0.1:9/graphql", { method: "POST", body: "{}" })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
