import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { VectorRecord, VectorStore } from "../src/knowledge/vectors/vector-store.js";

/** A fresh collection name in the caller's format: `kb_<uuid without dashes>`. */
export const collectionName = () => `kb_${randomUUID().replaceAll("-", "")}`;

/** A random direction in `dimensions` dimensions (never the zero vector). */
export function randomVector(dimensions: number): number[] {
  return Array.from({ length: dimensions }, () => Math.random() * 2 - 1);
}

export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

/** The exact top-k ids by cosine similarity, optionally within some documents. */
export function bruteForce(records: VectorRecord[], query: number[], k: number, documentIds?: string[]): string[] {
  return records
    .filter((r) => !documentIds || documentIds.includes(r.documentId))
    .map((r) => ({ id: r.id, score: cosine(r.vector, query) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((r) => r.id);
}

/** `count` records over `documents` documents (`doc0`, `doc1`, …), ids `<prefix><n>`. */
export function makeRecords(count: number, dimensions: number, documents = 10, prefix = "c"): VectorRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i}`,
    documentId: `doc${i % documents}`,
    vector: randomVector(dimensions),
  }));
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { extensions?: { code?: string } }).extensions?.code ?? String(err);
  }
}

/**
 * The behaviour every {@link VectorStore} must have. Each test works in its own collection, so the suite can run
 * against a shared server; `open` is called once per suite.
 */
export function vectorStoreContract(label: string, open: () => Promise<VectorStore>): void {
  describe(`vector store contract: ${label}`, () => {
    const DIM = 32;
    let store: VectorStore;
    const made: string[] = [];
    /** A new, empty collection with `DIM` dimensions, dropped after the test. */
    const fresh = async (dimensions = DIM) => {
      const name = collectionName();
      made.push(name);
      await store.ensureCollection(name, dimensions);
      return name;
    };

    beforeAll(async () => {
      store = await open();
    });
    afterEach(async () => {
      for (const name of made.splice(0)) await store.dropCollection(name);
    });
    afterAll(async () => {
      await store?.close();
    });

    it("answers ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("creates a collection once; the same dimensions again is a no-op, other dimensions are refused", async () => {
      const name = await fresh();
      await store.upsert(name, makeRecords(3, DIM));
      await store.ensureCollection(name, DIM);
      expect(await store.count(name)).toBe(3);
      expect(await codeOf(store.ensureCollection(name, DIM + 1))).toBe("CONFLICT");
      expect(await store.count(name)).toBe(3);
    });

    it("refuses calls on a collection that does not exist, and vectors of the wrong size", async () => {
      const missing = collectionName();
      expect(await codeOf(store.count(missing))).toBe("NOT_FOUND");
      expect(await codeOf(store.upsert(missing, makeRecords(1, DIM)))).toBe("NOT_FOUND");
      expect(await codeOf(store.search(missing, randomVector(DIM), { topK: 3 }))).toBe("NOT_FOUND");
      const name = await fresh();
      expect(await codeOf(store.upsert(name, makeRecords(1, DIM + 1)))).toBe("BAD_USER_INPUT");
      expect(await codeOf(store.search(name, randomVector(DIM - 1), { topK: 3 }))).toBe("BAD_USER_INPUT");
      expect(await codeOf(store.ensureCollection("kb-with-dashes", DIM))).toBe("BAD_USER_INPUT");
      expect(await store.count(name)).toBe(0);
    });

    it("upserting the same ids twice leaves one vector per id", async () => {
      const name = await fresh();
      const records = makeRecords(40, DIM);
      await store.upsert(name, records);
      await store.upsert(name, records);
      expect(await store.count(name)).toBe(40);
      const hits = await store.search(name, records[5].vector, { topK: 40 });
      expect(hits).toHaveLength(40);
      expect(new Set(hits.map((h) => h.id)).size).toBe(40);
    });

    it("finds the nearest neighbours that brute force finds, with cosine similarity as the score", async () => {
      const name = await fresh();
      const records = makeRecords(400, DIM);
      await store.upsert(name, records);
      let found = 0;
      const queries = 20;
      for (let q = 0; q < queries; q++) {
        const query = randomVector(DIM);
        const hits = await store.search(name, query, { topK: 10 });
        expect(hits).toHaveLength(10);
        const exact = bruteForce(records, query, 10);
        found += hits.filter((h) => exact.includes(h.id)).length;
        const byId = new Map(records.map((r) => [r.id, r]));
        for (let i = 0; i < hits.length; i++) {
          const record = byId.get(hits[i].id)!;
          expect(hits[i].documentId).toBe(record.documentId);
          expect(hits[i].score).toBeCloseTo(cosine(record.vector, query), 4);
          if (i > 0) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score);
        }
      }
      expect(found / (queries * 10)).toBeGreaterThanOrEqual(0.95);
      // A stored vector finds itself first, at similarity 1.
      const [self] = await store.search(name, records[123].vector, { topK: 1 });
      expect(self.id).toBe("c123");
      expect(self.score).toBeCloseTo(1, 4);
    });

    it("returns every vector when topK is larger than the collection, and nothing from an empty one", async () => {
      const name = await fresh();
      expect(await store.search(name, randomVector(DIM), { topK: 5 })).toEqual([]);
      await store.upsert(name, makeRecords(4, DIM));
      expect(await store.search(name, randomVector(DIM), { topK: 50 })).toHaveLength(4);
    });

    it("searches only the given documents when documentIds is set", async () => {
      const name = await fresh();
      const records = makeRecords(300, DIM);
      await store.upsert(name, records);
      for (let q = 0; q < 5; q++) {
        const query = randomVector(DIM);
        const hits = await store.search(name, query, { topK: 5, documentIds: ["doc3", "doc7"] });
        expect(hits.map((h) => h.id)).toEqual(bruteForce(records, query, 5, ["doc3", "doc7"]));
        for (const hit of hits) expect(["doc3", "doc7"]).toContain(hit.documentId);
      }
      // A document with fewer vectors than topK gives all of them.
      await store.upsert(name, [{ id: "lonely", documentId: "docX", vector: randomVector(DIM) }]);
      const lonely = await store.search(name, randomVector(DIM), { topK: 10, documentIds: ["docX"] });
      expect(lonely.map((h) => h.id)).toEqual(["lonely"]);
      expect(await store.search(name, randomVector(DIM), { topK: 10, documentIds: ["nope"] })).toEqual([]);
      expect(await store.search(name, randomVector(DIM), { topK: 10, documentIds: [] })).toEqual([]);
    });

    it("deleteByIds removes those vectors from counts and searches, and ignores unknown ids", async () => {
      const name = await fresh();
      const records = makeRecords(50, DIM);
      await store.upsert(name, records);
      await store.deleteByIds(name, ["c1", "c2", "c3", "unknown"]);
      expect(await store.count(name)).toBe(47);
      for (const id of ["c1", "c2", "c3"]) {
        const hits = await store.search(name, records[Number(id.slice(1))].vector, { topK: 50 });
        expect(hits.map((h) => h.id)).not.toContain(id);
        expect(hits).toHaveLength(47);
      }
      await store.deleteByIds(name, []);
      expect(await store.count(name)).toBe(47);
    });

    it("deleteByDocument removes exactly that document's vectors", async () => {
      const name = await fresh();
      const records = makeRecords(100, DIM);
      await store.upsert(name, records);
      await store.deleteByDocument(name, "doc4");
      expect(await store.count(name)).toBe(90);
      expect(await store.search(name, randomVector(DIM), { topK: 10, documentIds: ["doc4"] })).toEqual([]);
      const hits = await store.search(name, records[4].vector, { topK: 100 });
      expect(hits).toHaveLength(90);
      expect(hits.some((h) => h.documentId === "doc4")).toBe(false);
      await store.deleteByDocument(name, "no-such-document");
      expect(await store.count(name)).toBe(90);
    });

    it("replacing an id leaves only the new vector and document findable", async () => {
      const name = await fresh();
      const records = makeRecords(60, DIM);
      await store.upsert(name, records);
      const before = records[10].vector;
      const after = randomVector(DIM);
      await store.upsert(name, [{ id: "c10", documentId: "moved", vector: after }]);
      expect(await store.count(name)).toBe(60);
      const [top] = await store.search(name, after, { topK: 1 });
      expect(top).toMatchObject({ id: "c10", documentId: "moved" });
      expect(top.score).toBeCloseTo(1, 4);
      const old = await store.search(name, before, { topK: 60 });
      expect(old.filter((h) => h.id === "c10")).toEqual([
        { id: "c10", documentId: "moved", score: expect.closeTo(cosine(before, after), 4) },
      ]);
      const oldDocument = await store.search(name, before, { topK: 60, documentIds: ["doc0"] });
      expect(oldDocument.map((h) => h.id)).not.toContain("c10");
    });

    it("takes back a deleted id on a later upsert", async () => {
      const name = await fresh();
      await store.upsert(name, makeRecords(20, DIM));
      await store.deleteByIds(name, ["c7"]);
      const again = randomVector(DIM);
      await store.upsert(name, [{ id: "c7", documentId: "doc7", vector: again }]);
      expect(await store.count(name)).toBe(20);
      const [top] = await store.search(name, again, { topK: 1 });
      expect(top.id).toBe("c7");
    });

    it("drops a collection: it is gone, can be created again with other dimensions, and dropping twice is fine", async () => {
      const name = await fresh();
      await store.upsert(name, makeRecords(10, DIM));
      await store.dropCollection(name);
      expect(await codeOf(store.count(name))).toBe("NOT_FOUND");
      await store.dropCollection(name);
      await store.ensureCollection(name, 8);
      expect(await store.count(name)).toBe(0);
      await store.upsert(name, makeRecords(2, 8));
      expect(await store.count(name)).toBe(2);
    });

    it("keeps collections apart", async () => {
      const a = await fresh();
      const b = await fresh(16);
      await store.upsert(a, makeRecords(5, DIM));
      await store.upsert(b, makeRecords(3, 16));
      expect(await store.count(a)).toBe(5);
      expect(await store.count(b)).toBe(3);
      await store.dropCollection(b);
      expect(await store.count(a)).toBe(5);
    });
  });
}
