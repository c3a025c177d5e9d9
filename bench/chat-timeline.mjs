#!/usr/bin/env node
// Where the first token of a chat reply spends its time: one `chat` subscription at a time through the whole
// platform, with the processes printing timing marks (ODS_TRACE_MARKS=1, kit `traceMark`) on the clock they all
// share, against the same upstream called directly. Prints, for every mark, its median (and p90) time since the
// client sent `subscribe`, and the step from the mark before; "client" and "upstream" marks are the load
// generator's and the test upstream's own.
//
//   node bench/chat-timeline.mjs [--chats 300] [--warm 200] [--tokens 5] [--gap 5]
//
// One chat at a time on purpose: the marks of a chat are told apart by time alone, and the figures are the path's
// own costs, without queueing behind other chats (bench/chat-stream.mjs measures load).
import { parseArgs } from "node:util";
import { bootBench } from "./boot.mjs";
import { percentile } from "./percentile.mjs";
import { now, registerUpstreamModel, startSseUpstream } from "./sse-upstream.mjs";

const { values: args } = parseArgs({
  options: {
    chats: { type: "string", default: "300" },
    warm: { type: "string", default: "200" },
    tokens: { type: "string", default: "5" },
    gap: { type: "string", default: "5" },
  },
});
const CHATS = Number(args.chats);
const WARM = Number(args.warm);

const CHAT = `subscription($input: SendMessageInput!) { chat(input: $input) {
  __typename
  ... on MessageToken { seq }
  ... on MessageFailed { code reason }
} }`;

/** Marks the platform printed since the last chat began: `{ mark, at }`, in the order they came. */
let marks = [];
const onLog = (_name, line) => {
  if (!line.startsWith('{"mark":')) return;
  try {
    marks.push(JSON.parse(line));
  } catch {
    // not a mark after all
  }
};

const upstream = await startSseUpstream({ tokens: Number(args.tokens), gap: Number(args.gap) });
const bench = await bootBench({
  env: { ODS_TRACE_MARKS: "1", ODS_MODEL_PROBE_INTERVAL_MS: "0", ODS_RATE_LIMIT_REQUESTS: "10000000" },
  onLog,
});
const { createClient } = await import("graphql-ws");
const { default: WebSocket } = await import("ws");
const client = createClient({
  url: `${bench.platform.url.replace(/^http/, "ws")}/graphql`,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${bench.token}` },
  lazy: false,
  retryAttempts: 0,
});

try {
  await registerUpstreamModel(bench.gql, upstream.url);

  /** The model called directly: time to its first token (as chat-stream.mjs's "direct"). */
  async function direct() {
    const started = now();
    const res = await fetch(`${upstream.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "bench-up", messages: [{ role: "user", content: "direct" }], stream: true }),
    });
    const reader = res.body.getReader();
    const { value } = await reader.read();
    const first = now() - started;
    if (!value) throw new Error("the upstream sent nothing");
    while (!(await reader.read()).done);
    return first;
  }

  /** One reply through `chat` in a fresh conversation: every mark's time since `subscribe` went out. */
  async function chat(index) {
    const { createConversation } = await bench.gql(
      "mutation($input: CreateConversationInput!) { createConversation(input: $input) { id } }",
      { input: { title: "timeline", modelId: "bench-chat" } },
    );
    await upstream.collect();
    marks = [];
    const started = now();
    const own = [];
    await new Promise((resolve, reject) => {
      client.subscribe(
        { query: CHAT, variables: { input: { conversationId: createConversation.id, content: `timeline ${index}` } } },
        {
          next: ({ data, errors }) => {
            if (errors?.length) return reject(new Error(JSON.stringify(errors)));
            const event = data.chat;
            if (event.__typename === "MessageStarted") own.push({ mark: "client.started", at: now() });
            else if (event.__typename === "MessageToken" && event.seq === 1) {
              own.push({ mark: "client.first-token", at: now() });
            } else if (event.__typename === "MessageFailed") reject(new Error(`${event.code}: ${event.reason}`));
          },
          error: reject,
          complete: resolve,
        },
      );
    });
    // Marks printed just after the reply's end may still be on their way through the launcher's pipes.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const sent = [...(await upstream.collect()).values()].flat()[0];
    if (sent)
      own.push({ mark: "upstream.request", at: sent.requestAt }, { mark: "upstream.first-token", at: sent.sent[0] });
    // The first of each name: `gateway.event` comes once per event, and the first two are what matter.
    const times = {};
    let gatewayEvents = 0;
    for (const { mark, at } of [...marks, ...own]) {
      const name = mark === "gateway.event" ? `gateway.event ${++gatewayEvents}` : mark;
      if (name.startsWith("gateway.event ") && gatewayEvents > 2) continue;
      times[name] ??= at - started;
    }
    return times;
  }

  for (let i = 0; i < WARM; i++) await chat(`warm-${i}`);
  const runs = [];
  for (let i = 0; i < CHATS; i++) runs.push(await chat(i));
  const directRuns = [];
  for (let i = 0; i < 50; i++) await direct();
  for (let i = 0; i < CHATS; i++) directRuns.push(await direct());

  const names = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  const rows = names
    .map((name) => {
      const values = runs.map((r) => r[name]).filter((v) => v !== undefined);
      return { name, p50: percentile(values, 50), p90: percentile(values, 90), seen: values.length };
    })
    .sort((a, b) => a.p50 - b.p50);
  console.log(
    `\nFirst token of a chat reply, one at a time: ${CHATS} chats after ${WARM} to warm up, ms since the client ` +
      `sent subscribe (marks: ODS_TRACE_MARKS=1); Node ${process.version}`,
  );
  console.table(
    rows.map((row, i) => ({
      mark: row.name,
      "p50 ms": +row.p50.toFixed(2),
      "step ms": +(row.p50 - (rows[i - 1]?.p50 ?? 0)).toFixed(2),
      "p90 ms": +row.p90.toFixed(2),
      chats: row.seen,
    })),
  );
  const first = percentile(
    runs.map((r) => r["client.first-token"]),
    50,
  );
  const model = percentile(directRuns, 50);
  console.log(
    `The model called directly (fetch): first token after ${model.toFixed(2)} ms at p50; the platform adds ` +
      `${(first - model).toFixed(2)} ms.`,
  );
} finally {
  await client.dispose();
  await bench.stop();
  await upstream.stop();
}
