#!/usr/bin/env node
// What the platform adds to a streamed chat completion: time to first token and total time of the same stream
// through the gateway's /v1 (API key check, internal token, model subgraph: lookup, limits, usage, proxying)
// against calling the upstream test server directly, at 1, 10 and 50 concurrent streams, p50 and p99, in one run.
// Target (issue 4): at most 5 ms added at p50 and 25 ms at p99 with 50 streams.
//
//   node bench/model-api.mjs [--levels 1,10,50] [--tokens 20] [--gap 20] [--rounds 20]
//
// The upstream runs in a worker thread, so its chunk timing does not wait on the load generator's event loop.
// Each level runs `level` closed loops (one stream after another) whose starts are spread over one stream's
// length, so about `level` streams are open at any moment, as with independent clients, rather than all of
// them starting in the same millisecond every round. The default pace, 20 chunks 20 ms apart (50 tokens/s per
// stream), is what a served model gives each of 50 concurrent streams; `--gap 3` is a stress test in which the
// two cores, not the platform's per-request work, decide the figures. `cpu ms/stream` is the CPU time the
// gateway and the model subgraph spent per stream (from /proc).
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { percentile } from "./percentile.mjs";
import { processCpuMs } from "./process-cpu.mjs";
import { registerUpstreamModel, startSseUpstream } from "./sse-upstream.mjs";

await main();

async function main() {
  const { values: args } = parseArgs({
    options: {
      levels: { type: "string", default: "1,10,50" },
      tokens: { type: "string", default: "20" },
      gap: { type: "string", default: "20" },
      rounds: { type: "string", default: process.env.BENCH_ROUNDS ?? "20" },
    },
  });
  const levels = args.levels.split(",").map(Number);
  const [tokens, gap, rounds] = [Number(args.tokens), Number(args.gap), Number(args.rounds)];
  const { signInternalToken } = await import("@ods/kit");
  const { bootBench } = await import("./boot.mjs");

  const upstream = await startSseUpstream({ tokens, gap });
  const upstreamUrl = upstream.url;
  const started = Date.now();
  const load = loadavg()[0];
  const { platform, gql, user: me, stop } = await bootBench({ env: { ODS_MODEL_PROBE_INTERVAL_MS: "0" } });

  /** One streamed completion: ms to the first content chunk and to the end of the stream. */
  async function stream(target) {
    const begun = performance.now();
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
      if (ttft === null && text.includes('"content":" t')) ttft = performance.now() - begun;
    }
    if (!text.includes("data: [DONE]")) throw new Error(`${target.name}: the stream did not finish`);
    return { ttft, total: performance.now() - begun };
  }

  /** CPU time (user + system, ms) the gateway and the model subgraph have used so far (Linux, 100 ticks/s). */
  const cpuTimes = () => processCpuMs(platform, ["gateway", "model"]);

  /** `concurrency` closed loops of `rounds` streams each, their starts spread over one stream's length. */
  async function cell(target, concurrency) {
    const samples = [];
    const spread = tokens * gap;
    const before = await cpuTimes();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (i * spread) / concurrency));
        for (let round = 0; round < rounds; round++) samples.push(await stream(target));
      }),
    );
    const after = await cpuTimes();
    const ttft = samples.map((s) => s.ttft);
    const total = samples.map((s) => s.total);
    const perStream = (name) => ((after[name] - before[name]) / samples.length).toFixed(2);
    return {
      ttft50: percentile(ttft, 50),
      ttft99: percentile(ttft, 99),
      total50: percentile(total, 50),
      total99: percentile(total, 99),
      n: samples.length,
      cpu: `${perStream("gateway")} · ${perStream("model")}`,
    };
  }

  try {
    const { secret } = (await gql(`mutation { createApiKey(name: "bench") { secret } }`)).createApiKey;
    await registerUpstreamModel(gql, upstreamUrl);
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
    for (const concurrency of levels) {
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
          "cpu ms/stream gw·model": target === targets[0] ? "" : r.cpu,
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
        "cpu ms/stream gw·model": "",
        samples: "",
      });
    }
    console.log(
      `\nStreamed chat completions (${tokens} chunks, ${gap} ms apart), ms; ${rounds} streams per loop, starts ` +
        `spread over one stream; ${cpus().length} cores, Node ${process.version}; ` +
        `${((Date.now() - started) / 1000).toFixed(0)} s; load average ${load.toFixed(1)} before, ` +
        `${loadavg()[0].toFixed(1)} after. Target with 50 streams: ≤ 5 ms added at p50, ≤ 25 ms at p99`,
    );
    console.table(rows);
  } finally {
    await stop();
    await upstream.stop();
  }
}
