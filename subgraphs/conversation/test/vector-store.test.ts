import { fork } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { HnswVectorStore } from "../src/knowledge/vectors/hnsw-vector-store.js";
import { MilvusVectorStore } from "../src/knowledge/vectors/milvus-vector-store.js";
import type { VectorRecord } from "../src/knowledge/vectors/vector-store.js";
import { collectionName, makeRecords, randomVector, vectorStoreContract } from "./vector-store.contract.js";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "ods-vectors-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

vectorStoreContract("embedded (hnswlib-node)", async () => new HnswVectorStore({ root: tempDir() }));

// Milvus runs only where a server is configured and answers; otherwise the suite is skipped, saying why.
const milvusAddress = process.env.ODS_MILVUS_ADDRESS;
let milvusSkip: string | undefined;
if (!milvusAddress) milvusSkip = "ODS_MILVUS_ADDRESS is not set";
else {
  const probe = new MilvusVectorStore({ address: milvusAddress, token: process.env.ODS_MILVUS_TOKEN, timeoutMs: 3000 });
  try {
    await probe.ping();
  } catch (err) {
    milvusSkip = `Milvus at ${milvusAddress} is not reachable (${(err as Error).message})`;
  } finally {
    await probe.close().catch(() => undefined);
  }
}
if (milvusSkip) {
  console.warn(`[vector-store.test] Milvus contract suite skipped: ${milvusSkip}`);
  describe.skip(`vector store contract: milvus (${milvusSkip})`, () => {
    it("is skipped", () => undefined);
  });
} else {
  vectorStoreContract(
    `milvus at ${milvusAddress}`,
    async () => new MilvusVectorStore({ address: milvusAddress!, token: process.env.ODS_MILVUS_TOKEN }),
  );
}

/** Every record's own vector finds it first, at similarity 1: the index holds exactly what was written. */
async function expectAllFindable(store: HnswVectorStore, collection: string, records: Iterable<VectorRecord>) {
  for (const record of records) {
    const [top] = await store.search(collection, record.vector, { topK: 1 });
    expect(top?.id, `record ${record.id}`).toBe(record.id);
    expect(top.documentId).toBe(record.documentId);
    expect(top.score).toBeCloseTo(1, 4);
  }
}

describe("embedded vector store: durability", () => {
  const DIM = 16;

  it("keeps everything across close and reopen", async () => {
    const root = tempDir();
    const name = collectionName();
    let store = new HnswVectorStore({ root });
    await store.ensureCollection(name, DIM);
    const records = makeRecords(200, DIM);
    await store.upsert(name, records);
    await store.deleteByIds(name, ["c0", "c1"]);
    await store.deleteByDocument(name, "doc9");
    const query = randomVector(DIM);
    const before = await store.search(name, query, { topK: 10 });
    await store.close();
    await expect(store.count(name)).rejects.toThrow(/closed/);

    store = new HnswVectorStore({ root });
    const live = records.filter((r) => r.id !== "c0" && r.id !== "c1" && r.documentId !== "doc9");
    expect(await store.count(name)).toBe(live.length);
    expect(await store.search(name, query, { topK: 10 })).toEqual(before);
    await expectAllFindable(store, name, live);
    await store.ensureCollection(name, DIM);
    expect(
      await store.ensureCollection(name, DIM + 1).catch((e: { extensions: { code: string } }) => e.extensions.code),
    ).toBe("CONFLICT");
    await store.close();
  });

  it("replays the log when the process ended without close(), snapshots or not", async () => {
    const root = tempDir();
    const name = collectionName();
    // snapshotEvery 50: some changes are in snapshots, the last ones only in the log.
    const writer = new HnswVectorStore({ root, snapshotEvery: 50 });
    await writer.ensureCollection(name, DIM);
    const records = makeRecords(130, DIM);
    for (let at = 0; at < records.length; at += 20) await writer.upsert(name, records.slice(at, at + 20));
    await writer.deleteByIds(name, ["c3"]);
    const moved = { id: "c4", documentId: "moved", vector: randomVector(DIM) };
    await writer.upsert(name, [moved]);
    // No close(): a second store on the same folder sees what a restarted process would.
    const reader = new HnswVectorStore({ root });
    expect(await reader.count(name)).toBe(129);
    await expectAllFindable(reader, name, [...records.filter((r) => !["c3", "c4"].includes(r.id)), moved]);
    const files = readdirSync(join(root, name)).sort();
    expect(files).toHaveLength(3);
    expect(files).toEqual(["state.json", "wal.log", expect.stringMatching(/^index-.*\.bin$/)].sort());
    await reader.close();
  });

  it("ignores a torn last log record and keeps writing after it", async () => {
    const root = tempDir();
    const name = collectionName();
    const writer = new HnswVectorStore({ root });
    await writer.ensureCollection(name, DIM);
    const records = makeRecords(30, DIM);
    await writer.upsert(name, records);
    // What a crash in the middle of an append leaves: a frame header promising more bytes than follow.
    const log = join(root, name, "wal.log");
    const torn = Buffer.alloc(20);
    torn.writeUInt32LE(5000, 0);
    appendFileSync(log, torn);

    let store = new HnswVectorStore({ root });
    expect(await store.count(name)).toBe(30);
    const extra = makeRecords(5, DIM, 2, "x");
    await store.upsert(name, extra);
    await store.deleteByIds(name, ["c0"]);
    // Also a frame whose bytes are all there but damaged (bit rot, or a write that reached disk half-done).
    const damaged = readFileSync(log);
    damaged[damaged.length - 3] ^= 0xff;
    writeFileSync(log, damaged);
    store = new HnswVectorStore({ root });
    expect(await store.count(name)).toBe(35); // the damaged last frame was the delete of c0
    await expectAllFindable(store, name, [...records, ...extra]);
    await store.close();
  });

  it("keeps the event loop responsive during a large batch", async () => {
    const store = new HnswVectorStore({ root: tempDir() });
    const name = collectionName();
    await store.ensureCollection(name, 64);
    let last = performance.now();
    let worst = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 2);
    const started = performance.now();
    await store.upsert(name, makeRecords(3000, 64));
    const took = performance.now() - started;
    clearInterval(timer);
    expect(await store.count(name)).toBe(3000);
    // Blocking for the whole batch would give one timer tick and a gap as long as the batch. Yielding every few
    // milliseconds gives many ticks and gaps far shorter than the batch (bounds loose enough for a loaded CI).
    expect(took).toBeGreaterThan(200);
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(worst).toBeLessThan(took / 4);
    await store.close();
  });

  it("loses no acknowledged write when the process is killed with SIGKILL mid-write", { timeout: 60_000 }, async () => {
    const storeModule = transpileStoreForChild();
    const root = tempDir();
    const name = collectionName();
    /** What the index must hold: every acknowledged upsert not later deleted (and acknowledged as such). */
    const acked = new Map<string, VectorRecord>();
    const deleted = new Set<string>();
    let next = 0;
    for (let round = 0; round < 2; round++) {
      const inFlight = new Map<string, VectorRecord>();
      const deleting = new Set<string>();
      const child = fork(
        resolve(import.meta.dirname, "vector-store-crash-child.mjs"),
        [storeModule, root, name, String(DIM), String(next)],
        { stdio: ["ignore", "inherit", "inherit", "ipc"] },
      );
      // Kill at a different point each round, but only after a few hundred writes, so the kill lands mid-work.
      const killAfter = 100 + Math.floor(Math.random() * 200);
      let writes = 0;
      const exited = new Promise<NodeJS.Signals | null>((done) => child.on("exit", (_code, signal) => done(signal)));
      child.on("message", (message: Record<string, unknown>) => {
        if (message.upserting)
          for (const r of message.upserting as VectorRecord[]) {
            inFlight.set(r.id, r);
            next = Math.max(next, Number(r.id.slice(1)) + 1);
          }
        if (message.upserted)
          for (const id of message.upserted as string[]) {
            acked.set(id, inFlight.get(id)!);
            inFlight.delete(id);
            writes++;
          }
        if (message.deleting) for (const id of message.deleting as string[]) deleting.add(id);
        if (message.deleted)
          for (const id of message.deleted as string[]) {
            acked.delete(id);
            deleted.add(id);
            deleting.delete(id);
          }
        if (writes >= killAfter && !child.killed) child.kill("SIGKILL");
      });
      expect(await exited).toBe("SIGKILL");

      const store = new HnswVectorStore({ root });
      const count = await store.count(name);
      // Unacknowledged work may or may not have landed; acknowledged work must have.
      expect(count).toBeGreaterThanOrEqual(acked.size - deleting.size);
      expect(count).toBeLessThanOrEqual(acked.size + inFlight.size);
      await expectAllFindable(
        store,
        name,
        [...acked.values()].filter((r) => !deleting.has(r.id)),
      );
      // The recovered collection is consistent: it holds nothing but written ids, each once, none of them deleted.
      const all = await store.search(name, randomVector(DIM), { topK: count });
      expect(all).toHaveLength(count);
      expect(new Set(all.map((h) => h.id)).size).toBe(count);
      for (const hit of all) {
        expect(deleted.has(hit.id), `deleted ${hit.id} came back`).toBe(false);
        expect(acked.has(hit.id) || inFlight.has(hit.id), `unknown id ${hit.id}`).toBe(true);
      }
      // Settle what was in doubt (unacknowledged upserts that landed, deletes that may not have), so the next
      // round's bookkeeping starts exact; then the store must keep working after the recovery.
      await store.deleteByIds(name, [...inFlight.keys(), ...deleting]);
      for (const id of deleting) {
        acked.delete(id);
        deleted.add(id);
      }
      for (const id of inFlight.keys()) deleted.add(id);
      expect(await store.count(name)).toBe(acked.size);
      await store.close();
    }
    expect(acked.size).toBeGreaterThan(150);
  });
});

/**
 * Transpiles the vector store's current source to plain ESM for the crash test's child process (which runs under
 * bare `node`, without vitest's TypeScript support), rewriting package imports to absolute URLs so the output can
 * live in a temporary folder. Returns the URL of the store module.
 */
function transpileStoreForChild(): string {
  const sourceDir = resolve(import.meta.dirname, "../src/knowledge/vectors");
  const outDir = join(tempDir(), "vectors");
  mkdirSync(outDir, { recursive: true });
  const require = createRequire(resolve(import.meta.dirname, "../package.json"));
  // Only the errors of @ods/kit are used; importing all of it costs the child seconds on a loaded machine.
  const kitErrors = resolve(import.meta.dirname, "../../../packages/kit/src/errors.ts");
  const files: [string, string][] = [
    ...["hnsw-vector-store", "vector-store", "write-ahead-log"].map((f): [string, string] => [
      join(sourceDir, `${f}.ts`),
      `${f}.js`,
    ]),
    [kitErrors, "kit-errors.js"],
  ];
  for (const [source, target] of files) {
    const { outputText } = ts.transpileModule(readFileSync(source, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const rewritten = outputText.replace(/from "([^".][^"]*)"/g, (whole, specifier: string) => {
      if (specifier.startsWith("node:")) return whole;
      if (specifier === "@ods/kit") return `from "./kit-errors.js"`;
      return `from "${pathToFileURL(require.resolve(specifier)).href}"`;
    });
    writeFileSync(join(outDir, target), rewritten);
  }
  return pathToFileURL(join(outDir, "hnsw-vector-store.js")).href;
}
