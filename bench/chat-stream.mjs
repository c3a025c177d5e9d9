#!/usr/bin/env node
// What the platform adds to a streamed chat reply: the same numbered tokens from an OpenAI-compatible upstream,
// read straight from the upstream with fetch ("direct"), and through the whole chat path ("platform": sendMessage
// over the gateway, the conversation subgraph calling the model subgraph's /v1, the message's event log in pub/sub,
// messageStream over graphql-ws through the gateway). At 1, 50 and 1,000 concurrent streams, p50 and p99 of:
//   ttft  — from the request's start (direct: fetch; platform: the sendMessage request) to the first token;
//   delay — per token, from the upstream writing it to the client holding it (one monotonic clock, same machine);
//   gap   — between consecutive events that carry text, at the client (the platform batches deltas into events);
// and every stream checked: the concatenated deltas must equal what the upstream sent for that request (lost
// tokens, tokens out of order, seq not 1, 2, 3, …: all must be 0). Once per stream batch setting
// (ODS_STREAM_BATCH_MS, default 40 ms, and a small one), each with its own boot of the platform.
//
//   node bench/chat-stream.mjs [--levels 1,50,1000] [--batch 40,5] [--tokens 20] [--gap 20] [--samples 40]
//
// Workers run closed loops (one stream after another) and start spread over one stream's length, so a level
// holds about that many streams open at once; each worker has its own graphql-ws connection, like a browser.
// The upstream runs in a worker thread, so its token timing does not wait for the load generator's event loop.
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { percentile } from "./percentile.mjs";
import { processCpuMs } from "./process-cpu.mjs";
import { now, registerUpstreamModel, startSseUpstream } from "./sse-upstream.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

await main();

async function main() {
  const { values: args } = parseArgs({
    options: {
      levels: { type: "string", default: "1,50,1000" },
      batch: { type: "string", default: "40,5" },
      tokens: { type: "string", default: "20" },
      gap: { type: "string", default: "20" },
      samples: { type: "string", default: "40" },
      warm: { type: "string", default: "4" },
      api: { type: "string", default: "chat,send" },
      timeout: { type: "string", default: "180" },
    },
  });
  const levels = args.levels.split(",").map(Number);
  const batches = args.batch.split(",").map(Number);
  const TOKENS = Number(args.tokens);
  const GAP = Number(args.gap);
  const SAMPLES = Number(args.samples);
  const TIMEOUT_MS = Number(args.timeout) * 1000;
  const streamMs = (TOKENS - 1) * GAP;
  const roundsFor = (level) => Math.ceil(SAMPLES / level);
  const WARM_ROUNDS = Number(args.warm);
  const apis = args.api.split(",");

  const { bootBench } = await import("./boot.mjs");
  const upstream = await startSseUpstream({ tokens: TOKENS, gap: GAP });
  const upstreamUrl = upstream.url;
  /** What the upstream wrote since the last call, by tag. */
  const collectUpstream = upstream.collect;

  let tagCounter = 0;
  const newTag = () => `${process.pid}-${++tagCounter}`;
  const errors = new Map();
  /** Counts an error by its message, request ids and other UUIDs left out so that alike ones add up. */
  const noteError = (where, err) => {
    const message = String(err?.message ?? err)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "…")
      .slice(0, 300);
    const key = `${where}: ${message}`;
    errors.set(key, (errors.get(key) ?? 0) + 1);
  };
  /** The platform's own warnings and errors (pino JSON lines, level ≥ 40), counted the same way once booted. */
  let watching = false;
  const onLog = (name, line) => {
    if (!watching) return;
    try {
      const entry = JSON.parse(line);
      if (entry.level >= 40) noteError(`${name} log`, `${entry.msg} ${entry.err?.message ?? ""}`.trim());
    } catch {
      if (line.trim()) noteError(`${name} output`, line);
    }
  };

  /** One stream straight from the upstream: arrival time of every token. */
  async function directStream(tag) {
    const started = now();
    const res = await fetch(`${upstreamUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "bench-up",
        messages: [{ role: "user", content: `bench-${tag}` }],
        stream: true,
        stream_options: { include_usage: true },
      }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status} ${await res.text()}`);
    const decoder = new TextDecoder();
    const events = [];
    let buffer = "";
    let done = false;
    for await (const bytes of res.body) {
      const at = now();
      buffer += decoder.decode(bytes, { stream: true });
      let end;
      let delta = "";
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        if (data === "[DONE]") {
          done = true;
          continue;
        }
        delta += JSON.parse(data).choices[0]?.delta?.content ?? "";
      }
      // What one read brought is one client-side event, like one MessageToken on the platform.
      if (delta) events.push({ at, delta, seq: events.length + 1 });
    }
    if (!done) throw new Error("the stream ended without [DONE]");
    return { started, answered: null, events, terminal: "DONE", stored: null };
  }

  const EVENT_FIELDS = `
    __typename
    ... on MessageToken { seq delta }
    ... on MessageDone { seq message { status content } }
    ... on MessageFailed { seq code reason }`;
  const STREAM = `subscription($id: ID!) { messageStream(messageId: $id) { ${EVENT_FIELDS} } }`;
  const CHAT = `subscription($input: SendMessageInput!) { chat(input: $input) {
    ${EVENT_FIELDS}
    ... on MessageStarted { assistantMessage { id } }
  } }`;
  const question = (tag) => `Count for me, please. bench-${tag}`;

  /** One reply through the platform, sendMessage then messageStream, on the worker's own graphql-ws connection. */
  async function sendThenStream(tag, { gql, client, conversationId }) {
    const started = now();
    const { sendMessage } = await gql(
      "mutation($input: SendMessageInput!) { sendMessage(input: $input) { assistantMessage { id } } }",
      { input: { conversationId, content: question(tag) } },
    ).catch((err) => {
      throw new Error(`sendMessage: ${err.message}`);
    });
    const answered = now();
    return follow(
      client,
      "messageStream",
      { query: STREAM, variables: { id: sendMessage.assistantMessage.id } },
      {
        started,
        answered,
      },
    );
  }

  /** One reply through the platform in one operation, the chat subscription. */
  function chatStream(tag, { client, conversationId }) {
    const started = now();
    return follow(
      client,
      "chat",
      { query: CHAT, variables: { input: { conversationId, content: question(tag) } } },
      { started, answered: null },
    );
  }

  const streamers = { chat: chatStream, send: sendThenStream };
  for (const api of apis) if (!streamers[api]) throw new Error(`--api: ${api} is not one of chat, send`);
  const apiNames = { chat: "platform, chat", send: "platform, send+stream" };

  /** Follows one subscription to its terminal event: token arrival times, the stored text. */
  function follow(client, field, payload, times) {
    const events = [];
    return new Promise((resolve, reject) => {
      let settled = false;
      let stored = null;
      let terminal = null;
      const timer = setTimeout(() => finish(new Error(`no terminal event after ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
      const finish = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        if (err) reject(err);
        else resolve({ ...times, events, terminal, stored });
      };
      const unsubscribe = client.subscribe(payload, {
        next: (result) => {
          const at = now();
          if (result.errors?.length) return finish(new Error(`${field}: ${JSON.stringify(result.errors)}`));
          const event = result.data[field];
          if (event.__typename === "MessageToken") events.push({ at, delta: event.delta, seq: event.seq });
          else if (event.__typename === "MessageStarted") times.answered = at;
          else if (event.__typename === "MessageDone") {
            terminal = `Done(${event.message.status})`;
            stored = event.message.content;
            events.seqEnd = event.seq;
            finish();
          } else if (event.__typename === "MessageFailed") {
            terminal = `Failed(${event.code})`;
            finish(new Error(`MessageFailed ${event.code}: ${event.reason}`));
          }
        },
        error: (err) => finish(new Error(`${field}: ${err instanceof Error ? err.message : errorText(err)}`)),
        complete: () => finish(terminal ? undefined : new Error("the subscription completed without a terminal event")),
      });
    });
  }

  /** A graphql-ws error: a list of GraphQL errors, or the CloseEvent of a socket that closed. */
  const errorText = (err) =>
    err && typeof err === "object" && "code" in err && "reason" in err
      ? `socket closed ${err.code} ${err.reason}`
      : JSON.stringify(err);

  /** Compares one stream with what the upstream wrote for it; timings go into `acc`. */
  function check(result, sent, acc) {
    acc.samples++;
    const expected = sent?.text ?? "";
    const text = result.events.map((e) => e.delta).join("");
    const got = [...text.matchAll(/ t(\d+)/g)].map((m) => Number(m[1]));
    const want = sent ? sent.sent.length : 0;
    acc.lost += Math.max(0, want - new Set(got.filter((i) => i < want)).size);
    for (let i = 1; i < got.length; i++) if (got[i] <= got[i - 1]) acc.reordered++;
    for (let i = 0; i < result.events.length; i++) {
      if (result.events[i].seq !== i + 1) acc.reordered++;
    }
    if (text !== expected) acc.mismatch++;
    if (result.stored !== null && result.stored !== text) {
      acc.mismatch++;
      noteError("check", "the stored message differs from the streamed deltas");
    }
    if (!result.events.length || !sent) return;
    acc.ttft.push(result.events[0].at - result.started);
    acc.toUpstream.push(sent.requestAt - result.started);
    if (result.answered !== null) acc.send.push(result.answered - result.started);
    let token = 0;
    for (const event of result.events) {
      const count = (event.delta.match(/ t\d+/g) ?? []).length;
      for (let k = 0; k < count && token < sent.sent.length; k++, token++) acc.delay.push(event.at - sent.sent[token]);
    }
    for (let i = 1; i < result.events.length; i++) acc.gap.push(result.events[i].at - result.events[i - 1].at);
    acc.events += result.events.length;
    acc.tokens += got.length;
  }

  /** `level` workers, `rounds` streams each, starting spread over one stream's length. */
  async function cell(level, rounds, streamOne, setups) {
    await collectUpstream(); // drop anything left over
    const acc = {
      samples: 0,
      lost: 0,
      reordered: 0,
      mismatch: 0,
      failed: 0,
      ttft: [],
      send: [],
      toUpstream: [],
      delay: [],
      gap: [],
      events: 0,
      tokens: 0,
    };
    const results = [];
    await Promise.all(
      Array.from({ length: level }, async (_, w) => {
        await sleep(level > 1 ? Math.random() * streamMs : 0);
        for (let r = 0; r < rounds; r++) {
          const tag = newTag();
          try {
            results.push({ tag, result: await streamOne(tag, setups?.[w]?.[r]) });
          } catch (err) {
            acc.failed++;
            noteError("stream", err);
            results.push({ tag, result: null });
          }
        }
      }),
    );
    const sent = await collectUpstream();
    for (const { tag, result } of results) {
      const records = sent.get(tag) ?? [];
      if (records.length > 1) noteError("upstream", `one reply asked the upstream ${records.length} times`);
      if (!result) {
        acc.lost += records.reduce((n, r) => n + r.sent.length, 0);
        continue;
      }
      check(result, records.at(-1), acc);
    }
    return acc;
  }

  const ms = (n) => (Number.isFinite(n) ? +n.toFixed(1) : "–");
  const summary = (a) => ({
    ttft50: percentile(a.ttft, 50),
    ttft99: percentile(a.ttft, 99),
    send50: percentile(a.send, 50),
    upstream50: percentile(a.toUpstream, 50),
    delay50: percentile(a.delay, 50),
    delay99: percentile(a.delay, 99),
    gap50: percentile(a.gap, 50),
    gap99: percentile(a.gap, 99),
    perEvent: a.events ? a.tokens / a.events : NaN,
  });
  /** CPU time (user + system, ms) each of the given processes has used so far, from /proc (Linux, 100 ticks/s). */
  const cpuTimes = (platform) => processCpuMs(platform, ["gateway", "conversation", "model"]);
  const row = (level, batch, target, s, a, cpu = "") => ({
    streams: level,
    "batch ms": batch,
    target,
    "ttft p50": ms(s.ttft50),
    "ttft p99": ms(s.ttft99),
    "send p50": ms(s.send50),
    "→up p50": ms(s.upstream50),
    "delay p50": ms(s.delay50),
    "delay p99": ms(s.delay99),
    "gap p50": ms(s.gap50),
    "gap p99": ms(s.gap99),
    "tok/event": a ? ms(s.perEvent) : "",
    lost: a ? a.lost : "",
    reordered: a ? a.reordered : "",
    "≠ sent": a ? a.mismatch : "",
    failed: a ? a.failed : "",
    "cpu ms/stream gw·conv·model": cpu,
    samples: a ? a.samples : "",
  });

  /** A worker's graphql-ws connection, open before timing starts. */
  async function connect(platform, token, createClient, WebSocket) {
    const client = createClient({
      url: `${platform.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: (err) => noteError("connect", err),
    });
    await new Promise((resolve, reject) => {
      const offConnected = client.on("connected", () => {
        offConnected();
        resolve();
      });
      client.on("closed", (event) => reject(new Error(`closed before connecting: ${event?.code} ${event?.reason}`)));
    });
    return client;
  }

  /** Runs `fn` over `items`, `limit` at a time. */
  async function pool(items, limit, fn) {
    const out = new Array(items.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(limit, items.length) }, async () => {
        while (next < items.length) {
          const i = next++;
          out[i] = await fn(items[i], i);
        }
      }),
    );
    return out;
  }

  const { createClient } = await import("graphql-ws");
  const { default: WebSocket } = await import("ws");
  const rows = new Map(); // "level:batch" → rows
  const started = Date.now();
  const loadBefore = loadavg()[0];
  try {
    for (const batch of batches) {
      watching = false;
      const bench = await bootBench({
        env: {
          ODS_STREAM_BATCH_MS: String(batch),
          ODS_MODEL_PROBE_INTERVAL_MS: "0",
          // 1,000 users' requests come from one address and one account here; keep the limiter, lift its ceiling.
          ODS_RATE_LIMIT_REQUESTS: "10000000",
        },
        onLog,
      });
      watching = true;
      try {
        const { platform, token, gql } = bench;
        await registerUpstreamModel(gql, upstreamUrl);
        // Per worker: its connection and one fresh conversation per stream (made before timing starts).
        const prepare = async (level, rounds) => {
          const clients = await pool(Array.from({ length: level }), 50, () =>
            connect(platform, token, createClient, WebSocket),
          );
          const conversations = await pool(Array.from({ length: level * rounds }), 20, async () => {
            const data = await gql(
              "mutation($input: CreateConversationInput!) { createConversation(input: $input) { id } }",
              { input: { title: "bench", modelId: "bench-chat" } },
            );
            return data.createConversation.id;
          });
          return clients.map((client, w) =>
            Array.from({ length: rounds }, (_, r) => ({ gql, client, conversationId: conversations[w * rounds + r] })),
          );
        };
        const dispose = (setups) => Promise.all(setups.map((s) => s[0].client.dispose()));
        for (const level of levels) {
          const rounds = roundsFor(level);
          // Warm-up, discarded: enough replies for V8 to optimise the hot paths (a served platform has long been
          // warm; a freshly booted one runs its first few hundred requests in the interpreter).
          const warm = 50;
          await cell(warm, WARM_ROUNDS, directStream);
          const direct = await cell(level, rounds, directStream);
          const cellRows = [row(level, batch, "direct (fetch upstream)", summary(direct), direct)];
          for (const api of apis) {
            const streamOne = streamers[api];
            const warmSetups = await prepare(warm, WARM_ROUNDS);
            await cell(warm, WARM_ROUNDS, streamOne, warmSetups);
            await dispose(warmSetups);
            const setups = await prepare(level, rounds);
            const cpuBefore = await cpuTimes(platform);
            const through = await cell(level, rounds, streamOne, setups);
            const cpuAfter = await cpuTimes(platform);
            const cpu = ["gateway", "conversation", "model"]
              .map((name) => ((cpuAfter[name] - cpuBefore[name]) / (level * rounds)).toFixed(1))
              .join(" · ");
            await dispose(setups);
            const [d, p] = [summary(direct), summary(through)];
            const added = Object.fromEntries(Object.keys(p).map((k) => [k, p[k] - d[k]]));
            cellRows.push(row(level, batch, apiNames[api], p, through, cpu), row(level, batch, "  adds", added, null));
          }
          rows.set(`${level}:${batch}`, cellRows);
          console.error(
            `[chat-stream] ${level} streams, batch ${batch} ms: done (${((Date.now() - started) / 1000).toFixed(0)} s)`,
          );
        }
      } finally {
        await bench.stop();
      }
    }
  } finally {
    await upstream.stop();
  }
  const table = levels.flatMap((level) => batches.flatMap((batch) => rows.get(`${level}:${batch}`) ?? []));
  console.log(
    `\nChat streams: ${TOKENS} tokens ${GAP} ms apart per reply, ms; ttft from the request's start, delay from the ` +
      `upstream's write to the client, gap between text events at the client; ${SAMPLES}+ samples per cell; ${cpus().length} cores, Node ${process.version}; ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
      `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after. ` +
      `Target: ≤ 5 ms added to ttft p50 with 50 streams; lost, reordered and ≠ sent must be 0`,
  );
  console.table(table);
  if (errors.size) {
    console.log("Errors (count × message, most frequent first):");
    const sorted = [...errors].sort((a, b) => b[1] - a[1]);
    for (const [message, count] of sorted.slice(0, 25)) console.log(`  ${count} × ${message}`);
    if (sorted.length > 25) console.log(`  … and ${sorted.length - 25} other messages`);
  } else console.log("No errors.");
}
