import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Caller } from "@ods/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectionName } from "../src/knowledge/events.js";
import { chunkText, DEFAULT_CHUNK_SETTINGS } from "../src/knowledge/text/chunk.js";
import { cleanText } from "../src/knowledge/text/clean.js";
import { createVectorStore } from "../src/knowledge/vectors/create-vector-store.js";
import { startEmbeddingServer, type EmbeddingServer } from "./embedding-server.js";
import { gqlOk, SECRET, tempDir } from "./harness.js";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const alice: Caller = { userId: "alice", roles: ["editor"] };

/** Starts the built subgraph as its own process (so it can be killed like a crashed one) and waits for its port. */
async function startProcess(dataDir: string, modelUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(MAIN, [], {
    env: {
      ...process.env,
      ODS_INTERNAL_SECRET: SECRET,
      ODS_CONVERSATION_PORT: "0",
      ODS_DATA_DIR: dataDir,
      ODS_MODEL_URL: modelUrl,
      ODS_LOG_LEVEL: "warn",
      ODS_EMBED_BATCH_SIZE: "4",
      ODS_REDIS_URL: "",
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.on("message", (m: { type?: string; port?: number }) => m?.type === "ods:listening" && resolve(m.port!));
    child.once("exit", (code) => reject(new Error(`the subgraph exited with ${code} before listening`)));
  });
  return { child, url: `http://127.0.0.1:${port}/graphql` };
}

const TEXT = Array.from(
  { length: 120 },
  (_, i) => `Section ${i}. This paragraph explains rule number ${i} of the onboarding handbook in a few plain words.`,
).join("\n\n");

let embeddings: EmbeddingServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  embeddings = await startEmbeddingServer();
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await embeddings?.close();
});

describe.skipIf(!existsSync(MAIN))("a subgraph killed during ingestion", () => {
  it("resumes after a restart with every chunk exactly once", { timeout: 90_000 }, async () => {
    const dataDir = tempDir();
    embeddings.delayMs = 150; // 4 chunks per request: the ingestion takes a few seconds, time to kill it mid-way
    const first = await startProcess(dataDir, embeddings.url);
    children.push(first.child);
    const { createKnowledgeBase: kb } = await gqlOk(
      first.url,
      alice,
      'mutation { createKnowledgeBase(input: { name: "Crash", embeddingModelId: "test-embedder" }) { id } }',
    );
    const { addDocument: doc } = await gqlOk(
      first.url,
      alice,
      "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }",
      { i: { knowledgeBaseId: kb.id, title: "Handbook", text: TEXT } },
    );
    const expected = chunkText(cleanText(TEXT), DEFAULT_CHUNK_SETTINGS).length;
    expect(expected).toBeGreaterThan(20);

    // Kill it (no shutdown hooks) once a few batches are in and many are not.
    await expect.poll(() => embeddings.requests, { timeout: 20_000, interval: 10 }).toBeGreaterThanOrEqual(3);
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    const progress = await (async () => {
      const second = await startProcess(dataDir, embeddings.url);
      children.push(second.child);
      embeddings.delayMs = 0;
      const seen: number[] = [];
      await expect
        .poll(
          async () => {
            const { document } = await gqlOk(
              second.url,
              alice,
              "query($id: ID!) { document(id: $id) { status progress chunkCount } }",
              {
                id: doc.id,
              },
            );
            seen.push(document.progress);
            return document;
          },
          { timeout: 30_000, interval: 50 },
        )
        .toMatchObject({ status: "READY", chunkCount: expected });
      const { document } = await gqlOk(
        second.url,
        alice,
        "query($id: ID!) { document(id: $id) { chunks(first: 100) { totalCount edges { node { id position } } } } }",
        { id: doc.id },
      );
      second.child.kill("SIGTERM");
      await new Promise((resolve) => second.child.once("exit", resolve));
      return { seen, chunks: document.chunks };
    })();
    // Every position once, every id distinct.
    expect(progress.chunks.totalCount).toBe(expected);
    const positions = progress.chunks.edges.map((e: { node: { position: number } }) => e.node.position);
    expect(positions).toEqual(Array.from({ length: Math.min(expected, 100) }, (_, i) => i));
    // The vectors: exactly one per chunk, after the crash and the resumed run.
    const vectors = createVectorStore({ kind: "embedded", dataDir });
    try {
      expect(await vectors.count(collectionName(kb.id))).toBe(expected);
    } finally {
      await vectors.close();
    }
  });
});
