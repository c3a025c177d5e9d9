#!/usr/bin/env node
// What the platform adds to a streamed chat completion: time to first token and total time of the same stream
// through the gateway's /v1 (API key check, internal token, model subgraph: lookup, limits, usage, proxying)
// against calling the upstream test server directly, at 1, 10 and 50 concurrent streams, p50 and p99, in one run.
// Target (issue 4): at most 5 ms added at p50 and 25 ms at p99 with 50 streams.
import { createServer } from "node:http";
import { cpus } from "node:os";
import { signInternalToken } from "@ods/kit";
import { bootBench } from "./boot.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6); // streams per worker and cell
const CHUNKS = 16; // content chunks per stream
const CHUNK_GAP_MS = 3; // the upstream's pause between chunks, like a fast model

// The upstream: an OpenAI-compatible SSE server on loopback, the same for both targets.
const upstream = createServer((req, res) => {
  req.resume();
  req.on("end", async () => {
    if (req.url?.endsWith("/models")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ object: "list", data: [{ id: "bench-up", object: "model", created: 0, owned_by: "b" }] }),
      );
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const chunk = (delta, finish = null) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 0, model: "bench-up", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.write(chunk({ role: "assistant", content: "" }));
    for (let i = 0; i < CHUNKS; i++) {
      await new Promise((r) => setTimeout(r, CHUNK_GAP_MS));
      res.write(chunk({ content: ` w${i}` }));
    }
    res.write(chunk({}, "stop"));
    res.end("data: [DONE]\n\n");
  });
});
await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/v1`;

const { platform, gql, user: me, stop } = await bootBench({ env: { ODS_MODEL_PROBE_INTERVAL_MS: "0" } });

/** One streamed completion: ms to the first content chunk and to the end of the stream. */
async function stream(target) {
  const started = performance.now();
  const res = await fetch(target.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${target.key}` },
    body: JSON.stringify({ model: target.model, messages: [{ role: "user", content: "hi" }], stream: true }),
  });
  if (res.status !== 200) throw new Error(`${target.name}: HTTP ${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  let ttft = null;
  let text = "";
  for await (const bytes of res.body) {
    text += decoder.decode(bytes, { stream: true });
    if (ttft === null && text.includes('"content":" w')) ttft = performance.now() - started;
  }
  if (!text.includes("data: [DONE]")) throw new Error(`${target.name}: the stream did not finish`);
  return { ttft, total: performance.now() - started };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

async function cell(target, concurrency) {
  const samples = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < ROUNDS; i++) samples.push(await stream(target));
    }),
  );
  const ttft = samples.map((s) => s.ttft);
  const total = samples.map((s) => s.total);
  return {
    ttft50: percentile(ttft, 50),
    ttft99: percentile(ttft, 99),
    total50: percentile(total, 50),
    total99: percentile(total, 99),
    n: samples.length,
  };
}

try {
  const { secret } = (await gql(`mutation { createApiKey(name: "bench") { secret } }`)).createApiKey;
  await gql(`mutation($input: RegisterModelInput!) { registerModel(input: $input) { id } }`, {
    input: { name: "bench-chat", kind: "CHAT", baseUrl: upstreamUrl, upstreamModel: "bench-up" },
  });
  const targets = [
    { name: "upstream (direct)", url: `${upstreamUrl}/chat/completions`, key: "unused", model: "bench-up" },
    {
      // The model subgraph alone, with the internal token the gateway would have made: splits the overhead.
      name: "model subgraph /v1",
      url: `http://127.0.0.1:${platform.ports.model}/v1/chat/completions`,
      key: await signInternalToken(platform.internalSecret, { userId: me.id, roles: ["admin"] }, 3600),
      model: "bench-chat",
    },
    { name: "gateway /v1", url: `${platform.url}/v1/chat/completions`, key: secret, model: "bench-chat" },
  ];
  const ms = (n) => +n.toFixed(2);
  const rows = [];
  for (const concurrency of [1, 10, 50]) {
    const results = {};
    for (const target of targets) {
      await cell(target, concurrency); // warm-up round, discarded
      const r = await cell(target, concurrency);
      results[target.name] = r;
      rows.push({
        target: target.name,
        streams: concurrency,
        "ttft p50": ms(r.ttft50),
        "ttft p99": ms(r.ttft99),
        "total p50": ms(r.total50),
        "total p99": ms(r.total99),
        samples: r.n,
      });
    }
    const [direct, gateway] = [results[targets[0].name], results[targets[2].name]];
    rows.push({
      target: "platform adds (gateway − direct)",
      streams: concurrency,
      "ttft p50": ms(gateway.ttft50 - direct.ttft50),
      "ttft p99": ms(gateway.ttft99 - direct.ttft99),
      "total p50": ms(gateway.total50 - direct.total50),
      "total p99": ms(gateway.total99 - direct.total99),
      samples: "",
    });
  }
  console.log(
    `\nStreamed chat completions (${CHUNKS} chunks, ${CHUNK_GAP_MS} ms apart), ms; ${ROUNDS} streams per worker; ` +
      `${cpus().length} cores, Node ${process.version}. Target with 50 streams: ≤ 5 ms added at p50, ≤ 25 ms at p99`,
  );
  console.table(rows);
} finally {
  await stop();
  await new Promise((resolve) => upstream.close(resolve));
}
