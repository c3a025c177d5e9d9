// The benchmarks' model: an OpenAI-compatible chat completions server on loopback that streams numbered tokens
// (` t0`, ` t1`, …) `gap` ms apart, the first at once. It runs in a worker thread, so its token timing does not wait
// on the load generator's event loop. What it wrote for each request is recorded by the tag in the request's last
// user message (`bench-<tag>`), with the monotonic time of each token, for benchmarks that check every stream.
import { createServer } from "node:http";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

/** Milliseconds on the system-wide monotonic clock: comparable between threads and processes. */
export const now = () => Number(process.hrtime.bigint()) / 1e6;

if (!isMainThread && workerData?.sseUpstream) serve(workerData);

/** Registers the upstream at `url` as the chat model `bench-chat` (upstream name `bench-up`) through `gql`. */
export async function registerUpstreamModel(gql, url) {
  await gql(`mutation($input: RegisterModelInput!) { registerModel(input: $input) { id } }`, {
    input: { name: "bench-chat", kind: "CHAT", baseUrl: url, upstreamModel: "bench-up" },
  });
}

/**
 * Starts the upstream in a worker thread.
 *
 * @returns `url` (the OpenAI base URL, `…/v1`), `collect()` — what it wrote since the last call, as a Map from tag
 * to records `{ requestAt, sent: [ms…], text }` — and `stop()`.
 */
export async function startSseUpstream({ tokens, gap }) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { sseUpstream: true, tokens, gap } });
  const port = await new Promise((resolve, reject) => {
    worker.once("error", reject);
    const onMessage = (m) => {
      if (m.type !== "listening") return;
      worker.off("message", onMessage);
      resolve(m.port);
    };
    worker.on("message", onMessage);
  });
  return {
    url: `http://127.0.0.1:${port}/v1`,
    collect: () =>
      new Promise((resolve) => {
        const onMessage = (m) => {
          if (m.type !== "records") return;
          worker.off("message", onMessage);
          resolve(new Map(m.records));
        };
        worker.on("message", onMessage);
        worker.postMessage({ type: "collect" });
      }),
    stop: () => worker.terminate(),
  };
}

/**
 * The server: a role chunk, `tokens` content chunks, a finish chunk, a usage chunk when the request asked for it
 * (`stream_options.include_usage`, as OpenAI and vLLM do), and `[DONE]`.
 */
function serve({ tokens, gap }) {
  let records = new Map();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      if (req.url?.endsWith("/models")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ object: "list", data: [{ id: "bench-up", object: "model", created: 0, owned_by: "b" }] }),
        );
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const user = [...body.messages].reverse().find((m) => m.role === "user");
      const tag = /bench-([\w-]+)/.exec(typeof user?.content === "string" ? user.content : "")?.[1] ?? "untagged";
      const record = { requestAt: now(), sent: [], text: "" };
      if (!records.has(tag)) records.set(tag, []);
      records.get(tag).push(record);
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const event = (data) =>
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 0, model: "bench-up", ...data })}\n\n`;
      const chunk = (delta, finish = null) => event({ choices: [{ index: 0, delta, finish_reason: finish }] });
      res.write(chunk({ role: "assistant", content: "" }));
      let closed = false;
      res.on("close", () => (closed = true));
      for (let i = 0; i < tokens && !closed; i++) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, gap));
        const delta = ` t${i}`;
        res.write(chunk({ content: delta }));
        record.sent.push(now());
        record.text += delta;
      }
      res.write(chunk({}, "stop"));
      if (body.stream_options?.include_usage) {
        const usage = { prompt_tokens: 8, completion_tokens: tokens, total_tokens: 8 + tokens };
        res.write(event({ choices: [], usage }));
      }
      res.end("data: [DONE]\n\n");
    });
  });
  server.keepAliveTimeout = 60_000;
  // A deep accept queue, as the platform's servers have: a thousand streams open their connections at once.
  server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () =>
    parentPort.postMessage({ type: "listening", port: server.address().port }),
  );
  parentPort.on("message", (message) => {
    if (message.type !== "collect") return;
    parentPort.postMessage({ type: "records", records: [...records] });
    records = new Map();
  });
}
