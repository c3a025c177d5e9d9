import { rmSync } from "node:fs";
import type { Caller } from "@ods/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase, type TestDatabase } from "../../../test/support/database.js";
import { startEmbeddingServer, type EmbeddingServer } from "./embedding-server.js";
import { gqlOk, startInstance, tempDir } from "./harness.js";

const alice: Caller = { userId: "alice", roles: ["editor"] };

/**
 * The keyword index of a knowledge base follows every change of its chunks (a new document, an edited chunk, a
 * disabled one, a deleted document, a re-chunking), searched after each, on every database the platform runs on:
 * it is brought up to date from the changed chunks only, which reads each chunk's `updatedAt` as each dialect
 * stores it.
 */
describe.each(["sqlite", "postgresql", "mariadb"] as const)("the keyword index on %s", (dialect) => {
  let db: TestDatabase | null = null;
  let embeddings: EmbeddingServer;
  let app: Awaited<ReturnType<typeof startInstance>> | undefined;
  let dir: string;

  beforeAll(async () => {
    if (dialect !== "sqlite") {
      db = await testDatabase(dialect).catch(() => null);
      if (!db) return;
    }
    embeddings = await startEmbeddingServer();
    dir = tempDir();
    app = await startInstance({ dataDir: dir, modelUrl: embeddings.url, databaseUrl: db?.databaseUrl });
  });

  afterAll(async () => {
    await app?.close();
    await embeddings?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ask = (query: string, variables: Record<string, unknown> = {}) => gqlOk(app!.url, alice, query, variables);

  it("finds what was added, changed or re-chunked, and nothing that was disabled or deleted", async (ctx) => {
    if (!app) {
      console.warn(`[conversation] ${dialect} is not reachable on 127.0.0.1: skipped`);
      ctx.skip();
      return;
    }
    const { createKnowledgeBase: kb } = await ask(
      "mutation($i: CreateKnowledgeBaseInput!) { createKnowledgeBase(input: $i) { id } }",
      { i: { name: "Codes", embeddingModelId: "test-embedder", chunking: { size: 200, overlap: 0 } } },
    );
    const add = async (title: string, text: string) =>
      (
        await ask("mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }", {
          i: { knowledgeBaseId: kb.id, title, text },
        })
      ).addDocument.id as string;
    /** The titles of the documents whose chunks a keyword search finds, best first. */
    const found = async (query: string) =>
      (
        (
          await ask(
            "query($i: SearchKnowledgeBaseInput!) { searchKnowledgeBase(input: $i) { document { title } chunk { id } } }",
            { i: { knowledgeBaseId: kb.id, query, mode: "KEYWORD", topK: 5 } },
          )
        ).searchKnowledgeBase as { document: { title: string }; chunk: { id: string } }[]
      ).map((h) => h.document.title);

    const first = await add("First", "The part XK-2291 fits the left hinge.");
    await app.ingestion.idle();
    expect(await found("XK-2291")).toEqual(["First"]);

    // A second document after the index was built.
    const second = await add("Second", "The part QZ-7710 fits the right hinge.");
    await app.ingestion.idle();
    expect(await found("QZ-7710")).toEqual(["Second"]);
    expect(await found("hinge")).toHaveLength(2);

    // An edited chunk is found by its new words only.
    const chunkOf = async (documentId: string) =>
      (
        await ask("query($id: ID!) { document(id: $id) { chunks { edges { node { id } } } } }", {
          id: documentId,
        })
      ).document.chunks.edges[0].node.id as string;
    const firstChunk = await chunkOf(first);
    await ask("mutation($id: ID!, $i: UpdateChunkInput!) { updateChunk(id: $id, input: $i) { id } }", {
      id: firstChunk,
      i: { content: "The part MB-4404 replaces the old latch." },
    });
    expect(await found("MB-4404")).toEqual(["First"]);
    expect(await found("XK-2291")).toEqual([]);

    // Disabled, then enabled again.
    await ask("mutation($id: ID!) { updateChunk(id: $id, input: { enabled: false }) { id } }", { id: firstChunk });
    expect(await found("MB-4404")).toEqual([]);
    await ask("mutation($id: ID!) { updateChunk(id: $id, input: { enabled: true }) { id } }", { id: firstChunk });
    expect(await found("MB-4404")).toEqual(["First"]);

    // Re-chunked with other settings: new chunks, the old ones gone.
    await ask(
      "mutation($id: ID!) { updateKnowledgeBase(id: $id, input: { chunking: { size: 300, overlap: 10 } }) { id } }",
      { id: kb.id },
    );
    // The mutation queued both documents again; READY means chunked anew.
    const statuses = async () =>
      (
        await ask("query($id: ID!) { knowledgeBase(id: $id) { documents { edges { node { status } } } } }", {
          id: kb.id,
        })
      ).knowledgeBase.documents.edges.map((e: { node: { status: string } }) => e.node.status);
    await expect.poll(statuses, { timeout: 20_000 }).toEqual(["READY", "READY"]);
    await app.ingestion.idle();
    // A document chunked again starts from its text: the edit went with its old chunk.
    expect(await found("XK-2291")).toEqual(["First"]);
    expect(await found("MB-4404")).toEqual([]);
    expect(await found("QZ-7710")).toEqual(["Second"]);

    // A deleted document.
    await ask("mutation($id: ID!) { deleteDocument(id: $id) }", { id: second });
    expect(await found("QZ-7710")).toEqual([]);
    expect(await found("hinge")).toEqual(["First"]);
  });
});
