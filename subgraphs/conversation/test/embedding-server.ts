import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Vector length of the test embedder. */
export const TEST_DIMENSIONS = 64;

export interface EmbeddingServer {
  url: string;
  /** Embeddings requests answered so far. */
  requests: number;
  /** Milliseconds each embeddings request waits before answering. */
  delayMs: number;
  /** Answer the next `n` requests with a 503. */
  failNext: number;
  close(): Promise<void>;
}

/**
 * A bag-of-words embedding of `text`: each lowercased word (or CJK character) hashed into one of
 * {@link TEST_DIMENSIONS} buckets, L2-normalised. Texts that share words are close; unrelated ones are not.
 * Like real embedding models, it captures words and blurs identifiers: tokens with digits (product codes,
 * version numbers) are left out, which is what keyword search is for.
 */
export function testEmbedding(text: string): number[] {
  const vector = new Array<number>(TEST_DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+|\p{Script=Han}/gu) ?? []) {
    if (/\d/.test(word)) continue;
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619) >>> 0;
    vector[h % TEST_DIMENSIONS]! += 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

/**
 * An OpenAI-compatible `/v1/embeddings` upstream on loopback for the conversation subgraph's tests (the
 * subgraph's model client points at it as if it were the model subgraph), with a delay and failures to order.
 */
export async function startEmbeddingServer(): Promise<EmbeddingServer> {
  const state = { requests: 0, delayMs: 0, failNext: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "GET" && req.url === "/healthz") {
        res.writeHead(200).end("ok");
        return;
      }
      if (req.method !== "POST" || !req.url?.endsWith("/v1/embeddings")) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { model: string; input: string | string[] };
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      setTimeout(() => {
        state.requests++;
        if (state.failNext > 0) {
          state.failNext--;
          res.writeHead(503, { "content-type": "application/json" }).end('{"error":{"message":"busy"}}');
          return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            object: "list",
            model: body.model,
            data: inputs.map((text, index) => ({ object: "embedding", index, embedding: testEmbedding(text) })),
            usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
          }),
        );
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
