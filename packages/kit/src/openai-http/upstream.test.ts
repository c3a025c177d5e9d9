import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readText, UpstreamTarget } from "./upstream.js";

describe("UpstreamTarget", () => {
  let server: Server;
  let base: string;
  /** Connections opened before `staleFromNowOn`: a request on one is then reset unanswered, as on a closed one. */
  const early = new Set<Socket>();
  let staleFromNowOn = false;
  let answered = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (staleFromNowOn && early.has(req.socket)) {
          req.socket.resetAndDestroy();
          return;
        }
        answered += 1;
        res.end(JSON.stringify({ answered }));
      });
    });
    server.on("connection", (socket: Socket) => {
      if (!staleFromNowOn) early.add(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends a request again on a new connection when its pooled one was reset, even with more stale ones pooled", async () => {
    const target = new UpstreamTarget(base, "key");
    const post = async () => JSON.parse(await readText(await target.post("/x", "{}", new AbortController().signal)));
    // Three connections at once, left in the pool; the server then treats all three as closed.
    await Promise.all([post(), post(), post()]);
    staleFromNowOn = true;
    // The first try draws a stale connection; a retry from the pool would draw another.
    expect(await post()).toEqual({ answered: 4 });
  });
});
