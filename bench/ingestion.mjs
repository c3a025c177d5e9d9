#!/usr/bin/env node
// Knowledge-base ingestion with the built-in embedder, end to end through the gateway: N MB of generated prose
// (paragraphs of varied words, Markdown headings) added as documents — half as text in `addDocument`, half as
// uploaded .md files (createUploadUrl + PUT) — followed with the `documentStatus` subscription until every one is
// READY; then searches of the result. Prints, in one table: MB of text per minute and chunks per second from the
// first addDocument to the last READY, the peak RSS (VmHWM) of the conversation subgraph (parse, chunk, index) and
// of the model subgraph (which runs `builtin-embedder`), and searchKnowledgeBase latency p50/p99 for VECTOR,
// KEYWORD and HYBRID.
//
//   node bench/ingestion.mjs [--mb 5] [--doc-kb 100] [--queries 100] [--top-k 5]
import { readFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { bootBench } from "./boot.mjs";
import { percentile } from "./percentile.mjs";

const { values: args } = parseArgs({
  options: {
    mb: { type: "string", default: "5" },
    "doc-kb": { type: "string", default: "100" },
    queries: { type: "string", default: "100" },
    "top-k": { type: "string", default: "5" },
    timeout: { type: "string", default: "900" },
  },
});
const TOTAL_BYTES = Math.round(Number(args.mb) * 1024 * 1024);
const DOC_BYTES = Math.round(Number(args["doc-kb"]) * 1024);
const QUERIES = Number(args.queries);
const TOP_K = Number(args["top-k"]);
const TIMEOUT_MS = Number(args.timeout) * 1000;

// ── Text: a seeded generator, so runs compare. Words follow a Zipf-like law over a vocabulary of real common
// words and made-up terms (names, product codes), in sentences of 6–28 words and paragraphs of 2–8 sentences. ──
let seed = 0x5eed1234;
const random = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (list) => list[Math.floor(random() * list.length)];
const COMMON = (
  "the of and to in is that for it as with was on be by this are from at or an have not which but they " +
  "their has more one can all will been when there were its also would into other about these some time " +
  "system data model user service order customer product report team process value price market network " +
  "support energy storage water policy design quality security access cost risk level rate change result " +
  "analysis method research project development management performance information application version " +
  "release update request response account payment invoice shipment warehouse supplier contract schedule " +
  "budget forecast revenue margin inventory delivery region country city office staff training safety " +
  "maintenance equipment machine sensor signal pressure temperature battery engine vehicle route traffic " +
  "patient treatment clinic dose trial study sample measure increase decrease improve reduce provide require " +
  "include ensure describe review approve monitor record reach compare select define apply allow create " +
  "manage deliver estimate quickly carefully usually often rarely early late new old large small high low " +
  "first last next previous important available specific general public private local global annual monthly"
).split(" ");
const SYLLABLES = "ka lo mi ne ru sa ti vo be da fe gi ho ju ly mo ny pa qu re so tu ve wi xa yo ze".split(" ");
const INVENTED = Array.from({ length: 3000 }, (_, i) =>
  i % 10 === 0
    ? `${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + ((i * 7) % 26))}-${1000 + i}`
    : Array.from({ length: 2 + (i % 3) }, () => pick(SYLLABLES)).join(""),
);
const VOCABULARY = [...COMMON, ...INVENTED];
// Zipf: rank r drawn with probability ∝ 1/r, by inverting the harmonic CDF approximately.
const zipfWord = () =>
  VOCABULARY[Math.min(VOCABULARY.length - 1, Math.floor(Math.exp(random() * Math.log(VOCABULARY.length + 1)) - 1))];
const sentence = () => {
  const words = Array.from({ length: 6 + Math.floor(random() * 23) }, zipfWord);
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return `${words.join(" ")}${pick([".", ".", ".", "?", "!"])}`;
};
const paragraph = () => Array.from({ length: 2 + Math.floor(random() * 7) }, sentence).join(" ");
/** One Markdown document of about `bytes` bytes, with a heading every few paragraphs; also returns its paragraphs. */
function makeDocument(n, bytes) {
  const paragraphs = [];
  let text = `# Handbook ${n}: ${sentence().slice(0, -1)}\n\n`;
  let section = 0;
  while (Buffer.byteLength(text) < bytes) {
    if (paragraphs.length % 4 === 0) text += `## ${++section}. ${sentence().slice(0, -1)}\n\n`;
    const p = paragraph();
    paragraphs.push(p);
    text += `${p}\n\n`;
  }
  return { text, paragraphs };
}

/** Peak and current resident memory of a process, in MiB, from /proc (Linux). */
async function memory(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { peak: kib("VmHWM") / 1024, now: kib("VmRSS") / 1024 };
  } catch {
    return { peak: NaN, now: NaN };
  }
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc (Linux, 100 ticks/s). */
async function cpuSeconds(pid) {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

const documents = [];
for (let bytes = 0, n = 1; bytes < TOTAL_BYTES; n++) {
  const doc = makeDocument(n, Math.min(DOC_BYTES, TOTAL_BYTES - bytes));
  documents.push(doc);
  bytes += Buffer.byteLength(doc.text);
}
const textBytes = documents.reduce((n, d) => n + Buffer.byteLength(d.text), 0);

const loadBefore = loadavg()[0];
const { platform, token, gql, stop } = await bootBench();
const pidOf = (name) => platform.children.find((c) => c.name === name)?.child.pid;
const ws = createClient({
  url: `${platform.url.replace(/^http/, "ws")}/graphql`,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 0,
});
try {
  const before = { conversation: await memory(pidOf("conversation")), model: await memory(pidOf("model")) };
  const { createKnowledgeBase: kb } = await gql(
    'mutation { createKnowledgeBase(input: { name: "Bench handbooks" }) { id embeddingModelId chunking } }',
  );

  // Watch the whole knowledge base before adding anything, so no document's end is missed.
  const ended = new Map(); // id → { status, error, at }
  const ids = new Set();
  let allDone;
  const everything = new Promise((resolve) => (allDone = resolve));
  const settle = () => ids.size === documents.length && [...ids].every((id) => ended.has(id)) && allDone();
  let watchError = null;
  const unsubscribe = ws.subscribe(
    {
      query: "subscription($kb: ID) { documentStatus(knowledgeBaseId: $kb) { id status error chunkCount } }",
      variables: { kb: kb.id },
    },
    {
      next: ({ data, errors }) => {
        if (errors?.length) watchError = JSON.stringify(errors);
        const doc = data?.documentStatus;
        if (doc && ["READY", "FAILED"].includes(doc.status) && !ended.has(doc.id)) {
          ended.set(doc.id, { status: doc.status, error: doc.error, chunks: doc.chunkCount, at: performance.now() });
          settle();
        }
      },
      error: (err) => (watchError = String(err?.message ?? JSON.stringify(err))),
      complete: () => undefined,
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 500));

  // Uploads happen before the clock starts: the benchmark is ingestion, not the object store's PUT.
  const uploads = [];
  for (let i = 1; i < documents.length; i += 2) {
    const body = Buffer.from(documents[i].text, "utf8");
    const { createUploadUrl: target } = await gql(
      "mutation($input: CreateUploadUrlInput!) { createUploadUrl(input: $input) { url method headers key } }",
      { input: { fileName: `handbook-${i + 1}.md`, contentType: "text/markdown", size: body.byteLength } },
    );
    const res = await fetch(new URL(target.url, platform.url), {
      method: target.method,
      headers: target.headers,
      body,
    });
    if (!res.ok) throw new Error(`upload failed: HTTP ${res.status} ${await res.text()}`);
    uploads[i] = target.key;
  }

  const cpuBefore = { conversation: await cpuSeconds(pidOf("conversation")), model: await cpuSeconds(pidOf("model")) };
  const started = performance.now();
  let peak = { conversation: 0, model: 0 };
  const sampler = setInterval(async () => {
    for (const name of ["conversation", "model"]) peak[name] = Math.max(peak[name], (await memory(pidOf(name))).now);
  }, 250);
  for (let i = 0; i < documents.length; i++) {
    const input =
      i % 2 === 0
        ? { knowledgeBaseId: kb.id, title: `Handbook ${i + 1}`, text: documents[i].text }
        : { knowledgeBaseId: kb.id, storagePath: uploads[i] };
    const { addDocument } = await gql("mutation($input: AddDocumentInput!) { addDocument(input: $input) { id } }", {
      input,
    });
    ids.add(addDocument.id);
  }
  const added = performance.now();
  settle();
  let timer;
  await Promise.race([
    everything,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${ended.size}/${documents.length} documents ended after ${TIMEOUT_MS / 1000} s`)),
        TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  clearInterval(sampler);
  unsubscribe();
  const cpuUsed = {
    conversation: (await cpuSeconds(pidOf("conversation"))) - cpuBefore.conversation,
    model: (await cpuSeconds(pidOf("model"))) - cpuBefore.model,
  };
  const finished = Math.max(...[...ended.values()].map((e) => e.at));
  const seconds = (finished - started) / 1000;
  const failed = [...ended.values()].filter((e) => e.status === "FAILED");
  const after = { conversation: await memory(pidOf("conversation")), model: await memory(pidOf("model")) };
  const { knowledgeBase } = await gql("query($id: ID!) { knowledgeBase(id: $id) { chunkCount } }", { id: kb.id });
  const chunks = knowledgeBase.chunkCount;

  // Searches: 5–8 consecutive words of a random paragraph of the corpus, one query at a time.
  const queries = Array.from({ length: QUERIES }, () => {
    const words = pick(pick(documents).paragraphs).split(" ");
    const length = 5 + Math.floor(random() * 4);
    const from = Math.floor(random() * Math.max(1, words.length - length));
    return words.slice(from, from + length).join(" ");
  });
  const search = async (mode, query) => {
    const t = performance.now();
    const { searchKnowledgeBase } = await gql(
      "query($input: SearchKnowledgeBaseInput!) { searchKnowledgeBase(input: $input) { score text document { id } } }",
      { input: { knowledgeBaseId: kb.id, query, mode, topK: TOP_K } },
    );
    return { ms: performance.now() - t, hit: searchKnowledgeBase.some((c) => c.text.includes(query)) };
  };
  const searches = {};
  for (const mode of ["VECTOR", "KEYWORD", "HYBRID"]) {
    for (const q of queries.slice(0, 10)) await search(mode, q); // warm-up, discarded
    const results = [];
    for (const q of queries) results.push(await search(mode, q));
    searches[mode] = results;
  }

  const MiB = textBytes / 1024 / 1024;
  const mib = (n) => (Number.isFinite(n) ? +n.toFixed(0) : "–");
  const rows = [
    {
      what: "ingestion (addDocument → all READY)",
      value: +((MiB / seconds) * 60).toFixed(2),
      unit: "MB of text / min",
      detail: `${MiB.toFixed(2)} MB in ${documents.length} documents (${Math.ceil(documents.length / 2)} text, ${Math.floor(documents.length / 2)} .md uploads), ${seconds.toFixed(1)} s; adding took ${((added - started) / 1000).toFixed(1)} s; ${failed.length} FAILED`,
    },
    {
      what: "chunks",
      value: +(chunks / seconds).toFixed(0),
      unit: "chunks / s",
      detail: `${chunks} chunks (${JSON.stringify(kb.chunking)}), ${kb.embeddingModelId}`,
    },
    ...["conversation", "model"].map((name) => ({
      what: `peak RSS, ${name} subgraph`,
      value: mib(after[name].peak),
      unit: "MiB (VmHWM)",
      detail: `${mib(before[name].now)} MiB before, ${mib(peak[name])} MiB highest sample while ingesting, ${mib(after[name].now)} MiB after`,
    })),
    ...["conversation", "model"].map((name) => ({
      what: `CPU time, ${name} subgraph`,
      value: +cpuUsed[name].toFixed(1),
      unit: "s while ingesting",
      detail: `${((cpuUsed[name] / seconds) * 100).toFixed(0)} % of one core over the ${seconds.toFixed(1)} s`,
    })),
    ...Object.entries(searches).flatMap(([mode, results]) => {
      const times = results.map((r) => r.ms);
      const hits = results.filter((r) => r.hit).length;
      return [
        {
          what: `search ${mode} p50`,
          value: +percentile(times, 50).toFixed(1),
          unit: "ms",
          detail: `top ${TOP_K}, ${QUERIES} queries one at a time; the quoted passage in the results: ${hits}/${QUERIES}`,
        },
        { what: `search ${mode} p99`, value: +percentile(times, 99).toFixed(1), unit: "ms", detail: "" },
      ];
    }),
  ];
  console.log(
    `\nIngestion with the built-in embedder, through the gateway; ${cpus().length} cores, Node ${process.version}; ` +
      `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`,
  );
  console.table(rows);
  if (failed.length) for (const f of failed.slice(0, 5)) console.log(`FAILED: ${f.error}`);
  if (watchError) console.log(`documentStatus subscription error: ${watchError}`);
} finally {
  await ws.dispose();
  await stop();
}
