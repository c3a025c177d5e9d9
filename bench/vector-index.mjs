#!/usr/bin/env node
// The embedded vector store (HnswVectorStore: hnswlib-node plus a write-ahead log and snapshots) against raw
// hnswlib-node at the same settings (cosine, M=16, efConstruction=200, the store's default efSearch), in one run:
// build time, queries per second, recall@10 against an exact brute-force top-10, and the RSS of the process.
// Each side runs in its own child process so their memory does not mix; the sides are built one after the other,
// then queried in alternating rounds of 100 so outside load on the machine hits both alike.
//
//   node bench/vector-index.mjs [--count 100000] [--dim 384] [--queries 1000] [--data clustered|random] [--ef 128]
//
// Data: `clustered` (default) — 1,000 Gaussian clusters, closer to real text embeddings; `random` — uniform
// directions on the sphere, the hardest case for any HNSW index. Needs `npx tsc -b subgraphs/conversation` first.
import { execFileSync, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dirname, "..");
const storeModule = resolve(root, "subgraphs/conversation/dist/knowledge/vectors/index.js");
const { values: args } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    dim: { type: "string", default: "384" },
    queries: { type: "string", default: "1000" },
    data: { type: "string", default: "clustered" },
    ef: { type: "string", default: "128" },
    role: { type: "string" },
    dir: { type: "string" },
  },
});
const count = Number(args.count);
const dim = Number(args.dim);
const queryCount = Number(args.queries);
const ef = Number(args.ef);
const K = 10;

/** mulberry32: the same seed gives every process the same data. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns `n` unit vectors (Float32Array rows in one buffer). */
function generate(n, seed) {
  const random = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  const centers = [];
  if (args.data === "clustered") {
    const centerRandom = rng(7);
    const centerGauss = () =>
      Math.sqrt(-2 * Math.log(centerRandom() || 1e-12)) * Math.cos(2 * Math.PI * centerRandom());
    for (let c = 0; c < 1000; c++) centers.push(Float64Array.from({ length: dim }, centerGauss));
  }
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const row = out.subarray(i * dim, (i + 1) * dim);
    const center = centers.length ? centers[Math.floor(random() * centers.length)] : undefined;
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      // Cluster spread 0.6 of the centre's scale: neighbours are mostly, not only, from the same cluster.
      row[d] = center ? center[d] + 0.6 * gauss() : gauss();
      norm += row[d] * row[d];
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) row[d] /= norm;
  }
  return out;
}

const row = (data, i) => Array.from(data.subarray(i * dim, (i + 1) * dim));
const rssMb = () => Math.round(process.memoryUsage().rss / 1024 / 1024);

/**
 * One side of the comparison, in a child process: builds its index, reports, then answers query rounds on request
 * (the parent alternates the two sides round by round, so load from elsewhere on the machine hits both alike).
 */
async function runRole(role) {
  const data = generate(count, 1);
  const queries = generate(queryCount, 2);
  const baseRss = rssMb();
  const { HnswVectorStore } = await import(storeModule);
  const { default: hnswlib } = await import("hnswlib-node");
  let search;
  let close = async () => {};
  const start = performance.now();
  if (role === "store") {
    const store = new HnswVectorStore({ root: args.dir, efSearch: ef });
    await store.ensureCollection("kb_bench", dim);
    for (let at = 0; at < count; at += 1000) {
      const records = [];
      for (let i = at; i < Math.min(count, at + 1000); i++)
        records.push({ id: `v${i}`, documentId: `doc${Math.floor(i / 100)}`, vector: row(data, i) });
      await store.upsert("kb_bench", records);
    }
    search = async (q) => (await store.search("kb_bench", q, { topK: K })).map((h) => Number(h.id.slice(1)));
    close = () => store.close();
  } else {
    const index = new hnswlib.HierarchicalNSW("cosine", dim);
    index.initIndex(count, 16, 200, 100);
    for (let i = 0; i < count; i++) index.addPoint(row(data, i), i);
    index.setEf(ef);
    search = async (q) => index.searchKnn(q, K).neighbors;
  }
  const build = performance.now() - start;
  // One untimed pass first, so both sides are measured with warm JIT and caches.
  for (let q = 0; q < Math.min(queryCount, 200); q++) await search(row(queries, q));
  process.send({ built: true, build, baseRss, rss: rssMb() });
  process.on("message", async (message) => {
    if (message.query) {
      const [from, to] = message.query;
      const vectors = [];
      for (let q = from; q < to; q++) vectors.push(row(queries, q));
      const results = [];
      const queryStart = performance.now();
      for (const vector of vectors) results.push(await search(vector));
      process.send({ ms: performance.now() - queryStart, results });
    } else if (message.close) {
      const rss = rssMb();
      const closeStart = performance.now();
      await close();
      process.send({ closed: true, rss, closeMs: performance.now() - closeStart });
      process.disconnect();
    }
  });
}

/** Exact top-K by brute force (hnswlib's BruteforceSearch: every vector compared, no graph). */
async function bruteForce(data, queries) {
  const { default: hnswlib } = await import("hnswlib-node");
  const exact = new hnswlib.BruteforceSearch("cosine", dim);
  exact.initIndex(count);
  for (let i = 0; i < count; i++) exact.addPoint(row(data, i), i);
  const truth = [];
  for (let q = 0; q < queryCount; q++) truth.push(new Set(exact.searchKnn(row(queries, q), K).neighbors));
  return truth;
}

/** Starts one side and resolves once its index is built; `ask` sends a request and waits for the answer. */
function start(role, dir) {
  const argv = ["--count", String(count), "--dim", String(dim), "--queries", String(queryCount)];
  argv.push("--data", args.data, "--ef", String(ef), "--role", role, "--dir", dir);
  const proc = fork(import.meta.filename, argv, { stdio: "inherit" });
  let waiting;
  proc.on("message", (m) => waiting?.resolve(m));
  proc.on("exit", (code) => code && waiting?.reject(new Error(`${role} exited ${code}`)));
  const next = () => new Promise((resolvePromise, reject) => (waiting = { resolve: resolvePromise, reject }));
  const ask = (message) => {
    const answer = next();
    proc.send(message);
    return answer;
  };
  return next().then((built) => ({ built, ask }));
}

if (args.role) {
  await runRole(args.role);
} else {
  if (!existsSync(storeModule))
    execFileSync("npx", ["tsc", "-b", "subgraphs/conversation"], { cwd: root, stdio: "inherit" });
  const dir = await mkdtemp(join(tmpdir(), "ods-bench-vectors-"));
  try {
    console.log(`Vector index: ${count.toLocaleString()} × ${dim} ${args.data} vectors, ${queryCount} queries, k=${K}`);
    const truthStart = performance.now();
    const truth = await bruteForce(generate(count, 1), generate(queryCount, 2));
    console.log(`exact top-${K} (brute force) in ${((performance.now() - truthStart) / 1000).toFixed(1)} s`);
    const sides = [
      { role: "raw", name: "raw hnswlib-node" },
      { role: "store", name: "HnswVectorStore (embedded)" },
    ];
    for (const side of sides) {
      Object.assign(side, await start(side.role, dir));
      side.ms = 0;
      side.found = 0;
      console.log(`${side.name}: built in ${(side.built.build / 1000).toFixed(1)} s`);
    }
    const ROUND = 100;
    for (let from = 0, round = 0; from < queryCount; from += ROUND, round++) {
      const to = Math.min(queryCount, from + ROUND);
      for (const side of round % 2 ? [...sides].reverse() : sides) {
        const { ms, results } = await side.ask({ query: [from, to] });
        side.ms += ms;
        results.forEach((ids, i) => ids.forEach((id) => (side.found += truth[from + i].has(id) ? 1 : 0)));
      }
    }
    const rows = [];
    for (const side of sides) {
      const closed = await side.ask({ close: true });
      rows.push({
        index: side.name,
        "build s": +(side.built.build / 1000).toFixed(1),
        "inserts/s": Math.round(count / (side.built.build / 1000)),
        "recall@10": +(side.found / (queryCount * K)).toFixed(4),
        "queries/s": Math.round(queryCount / (side.ms / 1000)),
        "ms/query": +(side.ms / queryCount).toFixed(3),
        "RSS MB": closed.rss,
        "RSS MB before build": side.built.baseRss,
        "close s": +(closed.closeMs / 1000).toFixed(1),
      });
    }
    console.log(`\nM=16, efConstruction=200, efSearch=${ef}; 2 cores, Node ${process.version}`);
    console.table(rows);
    const [raw, store] = rows;
    console.log(
      `store/raw QPS: ${(store["queries/s"] / raw["queries/s"]).toFixed(2)}× (target ≥ 0.9×); recall@10 ${store["recall@10"]} (target ≥ 0.95)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
