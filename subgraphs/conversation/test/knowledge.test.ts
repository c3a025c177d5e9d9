import { INTERNAL_TOKEN_HEADER, signInternalToken, type Caller } from "@ods/kit";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { collectionName } from "../src/knowledge/events.js";
import { startEmbeddingServer, type EmbeddingServer } from "./embedding-server.js";
import { gql, gqlOk, SECRET, startInstance, tempDir } from "./harness.js";

const alice: Caller = { userId: "alice", roles: ["editor"] };
const bob: Caller = { userId: "bob", roles: ["editor"] };

let embeddings: EmbeddingServer;
let instance: Awaited<ReturnType<typeof startInstance>>;
let url: string;

const DOC_FIELDS = "id title status progress chunkCount error format";

async function createKb(caller: Caller, input: Record<string, unknown> = {}) {
  const data = await gqlOk(
    url,
    caller,
    "mutation($input: CreateKnowledgeBaseInput!) { createKnowledgeBase(input: $input) { id name embeddingModelId chunking retrieval } }",
    { input: { name: "Handbook", embeddingModelId: "test-embedder", ...input } },
  );
  return data.createKnowledgeBase as { id: string; chunking: Record<string, unknown> };
}

async function addText(caller: Caller, knowledgeBaseId: string, title: string, text: string, extra = {}) {
  const data = await gqlOk(
    url,
    caller,
    `mutation($input: AddDocumentInput!) { addDocument(input: $input) { ${DOC_FIELDS} } }`,
    {
      input: { knowledgeBaseId, title, text, ...extra },
    },
  );
  return data.addDocument as { id: string; status: string };
}

/** Follows `documentStatus` over graphql-ws until the document is READY or FAILED. */
async function follow(caller: Caller, documentId: string) {
  const client = createClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { [INTERNAL_TOKEN_HEADER]: await signInternalToken(SECRET, caller) },
    retryAttempts: 0,
  });
  const events: { status: string; progress: number; chunkCount: number; error: string | null }[] = [];
  try {
    for await (const result of client.iterate<{ documentStatus: (typeof events)[number] }>({
      query: `subscription($id: ID) { documentStatus(documentId: $id) { ${DOC_FIELDS} } }`,
      variables: { id: documentId },
    })) {
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      events.push(result.data!.documentStatus);
    }
  } finally {
    await client.dispose();
  }
  return events;
}

async function search(caller: Caller, input: Record<string, unknown>) {
  const data = await gqlOk(
    url,
    caller,
    `query($input: SearchKnowledgeBaseInput!) { searchKnowledgeBase(input: $input) {
      text score document { id title } chunk { id position } scores { vector vectorRank keyword keywordRank fused rerank }
    } }`,
    { input },
  );
  return data.searchKnowledgeBase as {
    text: string;
    score: number;
    document: { id: string; title: string };
    chunk: { id: string; position: number };
    scores: Record<string, number | null>;
  }[];
}

beforeAll(async () => {
  embeddings = await startEmbeddingServer();
  instance = await startInstance({ dataDir: tempDir(), modelUrl: embeddings.url });
  url = instance.url;
});

afterAll(async () => {
  await instance?.close();
  await embeddings?.close();
});

describe("knowledge bases", () => {
  it("ingests a text with progress events, then finds it by meaning and by keyword", async () => {
    const kb = await createKb(alice, { chunking: { size: 200, overlap: 20 } });
    expect(kb.chunking).toMatchObject({ strategy: "recursive", size: 200, overlap: 20 });
    const body = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} talks about topic number ${i} at length.`).join(
      "\n\n",
    );
    const doc = await addText(
      alice,
      kb.id,
      "Topics",
      `# Topics\n\n${body}\n\nThe refund window is 30 days from delivery.`,
    );
    expect(doc.status).toBe("QUEUED");
    const events = await follow(alice, doc.id);
    expect(events.at(-1)).toMatchObject({ status: "READY", progress: 1, error: null });
    expect(events.map((e) => e.status)).toContain("EMBEDDING");
    const chunkCount = events.at(-1)!.chunkCount;
    expect(chunkCount).toBeGreaterThan(2);
    expect(await instance.vectors.count(collectionName(kb.id))).toBe(chunkCount);

    const vector = await search(alice, {
      knowledgeBaseId: kb.id,
      query: "refund window delivery",
      mode: "VECTOR",
      topK: 3,
    });
    expect(vector[0]!.text).toContain("refund window");
    expect(vector[0]!.scores.vector).toBeGreaterThan(0.3);
    expect(vector[0]!.scores.keyword).toBeNull();

    const keyword = await search(alice, { knowledgeBaseId: kb.id, query: "refund", mode: "KEYWORD", topK: 3 });
    expect(keyword[0]!.text).toContain("refund");
    expect(keyword[0]!.score).toBe(1);

    const hybrid = await search(alice, { knowledgeBaseId: kb.id, query: "How long is the refund window?", topK: 3 });
    expect(hybrid[0]!.text).toContain("refund window");
    expect(hybrid[0]!.scores).toMatchObject({ vectorRank: expect.any(Number), keywordRank: 1 });
    expect(hybrid[0]!.scores.fused).toBeGreaterThan(0);
  });

  it("finds an exact product code with hybrid search that vector search alone misses", async () => {
    const kb = await createKb(alice, { chunking: { size: 300, overlap: 0 } });
    // Many near-identical product sheets: by meaning they all match; only the code tells them apart.
    for (let i = 0; i < 12; i++) {
      const code = i === 7 ? "XK-2291" : `XK-${2200 + i}`;
      await addText(
        alice,
        kb.id,
        `Sheet ${i}`,
        `Product sheet. The compact warranty covers the blender motor for two years. Product code ${code}.`,
      );
    }
    await instance.ingestion.idle();
    const query = "XK-2291 blender warranty";
    const vector = await search(alice, { knowledgeBaseId: kb.id, query, mode: "VECTOR", topK: 3 });
    const hybrid = await search(alice, { knowledgeBaseId: kb.id, query, mode: "HYBRID", topK: 3 });
    const keyword = await search(alice, { knowledgeBaseId: kb.id, query: "XK-2291", mode: "KEYWORD", topK: 3 });
    expect(keyword[0]!.text).toContain("XK-2291");
    expect(hybrid[0]!.text).toContain("XK-2291");
    expect(hybrid[0]!.scores.keywordRank).toBe(1);
    // By meaning every sheet is the same (the embedder blurs codes, as real ones do): a tie is not a find.
    const vectorTop = vector[0]!;
    expect(vectorTop.text.includes("XK-2291") && vectorTop.score > (vector[1]?.score ?? 0)).toBe(false);
    expect(vector.every((hit) => Math.abs(hit.score - vectorTop.score) < 1e-6)).toBe(true);
  });

  it("filters by document and metadata, honours the threshold, and keeps other users out", async () => {
    const kb = await createKb(alice);
    const a = await addText(alice, kb.id, "Oslo", "The Oslo office opens at nine.", { metadata: { city: "oslo" } });
    const b = await addText(alice, kb.id, "Lima", "The Lima office opens at eight.", { metadata: { city: "lima" } });
    await instance.ingestion.idle();
    const onlyLima = await search(alice, { knowledgeBaseId: kb.id, query: "office opens", metadata: { city: "lima" } });
    expect(onlyLima.map((h) => h.document.id)).toEqual([b.id]);
    const onlyOslo = await search(alice, { knowledgeBaseId: kb.id, query: "office opens", documentIds: [a.id] });
    expect(onlyOslo.map((h) => h.document.id)).toEqual([a.id]);
    const strict = await search(alice, {
      knowledgeBaseId: kb.id,
      query: "office opens",
      mode: "VECTOR",
      scoreThreshold: 0.99,
    });
    expect(strict).toEqual([]);

    const foreign = await gql(url, bob, "query($id: ID!) { knowledgeBase(id: $id) { id } }", { id: kb.id });
    expect(foreign.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const foreignSearch = await gql(
      url,
      bob,
      "query($i: SearchKnowledgeBaseInput!) { searchKnowledgeBase(input: $i) { text } }",
      {
        i: { knowledgeBaseId: kb.id, query: "office" },
      },
    );
    expect(foreignSearch.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const foreignAdd = await gql(url, bob, "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }", {
      i: { knowledgeBaseId: kb.id, text: "intruder" },
    });
    expect(foreignAdd.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("refuses bad input with field messages and writes nothing", async () => {
    const kb = await createKb(alice);
    const both = await gql(url, alice, "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }", {
      i: { knowledgeBaseId: kb.id, text: "a", datasetId: "d1" },
    });
    expect(both.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const missing = await gql(url, alice, "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }", {
      i: { knowledgeBaseId: kb.id, storagePath: "uploads/nothing/here.pdf" },
    });
    expect(missing.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const chunking = await gql(
      url,
      alice,
      "mutation($i: CreateKnowledgeBaseInput!) { createKnowledgeBase(input: $i) { id } }",
      {
        i: { name: "Bad", chunking: { size: 100, overlap: 100 } },
      },
    );
    expect(chunking.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const docs = await gqlOk(url, alice, "query($id: ID!) { knowledgeBase(id: $id) { documents { totalCount } } }", {
      id: kb.id,
    });
    expect(docs.knowledgeBase.documents.totalCount).toBe(0);
  });

  it("browses, edits and disables chunks, and deleting a document removes its vectors", async () => {
    const kb = await createKb(alice);
    const doc = await addText(alice, kb.id, "Notes", "Penguins live in the southern hemisphere.");
    await instance.ingestion.idle();
    const { document } = await gqlOk(
      url,
      alice,
      "query($id: ID!) { document(id: $id) { chunks { totalCount edges { node { id content enabled } } } } }",
      {
        id: doc.id,
      },
    );
    const chunk = document.chunks.edges[0].node as { id: string };
    await gqlOk(
      url,
      alice,
      "mutation($id: ID!, $i: UpdateChunkInput!) { updateChunk(id: $id, input: $i) { id edited } }",
      {
        id: chunk.id,
        i: { content: "Kangaroos hop across Australia." },
      },
    );
    expect((await search(alice, { knowledgeBaseId: kb.id, query: "kangaroos", mode: "KEYWORD" }))[0]?.chunk.id).toBe(
      chunk.id,
    );
    expect(
      (await search(alice, { knowledgeBaseId: kb.id, query: "kangaroos australia", mode: "VECTOR" }))[0]?.chunk.id,
    ).toBe(chunk.id);
    await gqlOk(url, alice, "mutation($id: ID!) { updateChunk(id: $id, input: { enabled: false }) { id } }", {
      id: chunk.id,
    });
    expect(await search(alice, { knowledgeBaseId: kb.id, query: "kangaroos" })).toEqual([]);

    await gqlOk(url, alice, "mutation($id: ID!) { deleteDocument(id: $id) }", { id: doc.id });
    expect(await instance.vectors.count(collectionName(kb.id))).toBe(0);
    const gone = await gql(url, alice, "query($id: ID!) { document(id: $id) { id } }", { id: doc.id });
    expect(gone.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("re-indexes every document when the chunking changes", async () => {
    const kb = await createKb(alice, { chunking: { size: 1000, overlap: 0 } });
    const text = Array.from({ length: 20 }, (_, i) => `Sentence ${i} of the long document.`).join(" ");
    const doc = await addText(alice, kb.id, "Long", text);
    await instance.ingestion.idle();
    const before = await gqlOk(url, alice, "query($id: ID!) { document(id: $id) { chunkCount } }", { id: doc.id });
    await gqlOk(
      url,
      alice,
      "mutation($id: ID!) { updateKnowledgeBase(id: $id, input: { chunking: { size: 100, overlap: 10 } }) { settingsVersion } }",
      {
        id: kb.id,
      },
    );
    await expect
      .poll(
        async () =>
          (await gqlOk(url, alice, "query($id: ID!) { document(id: $id) { status chunkCount } }", { id: doc.id }))
            .document,
      )
      .toMatchObject({ status: "READY", chunkCount: expect.any(Number) });
    await instance.ingestion.idle();
    const after = await gqlOk(url, alice, "query($id: ID!) { document(id: $id) { chunkCount } }", { id: doc.id });
    expect(after.document.chunkCount).toBeGreaterThan(before.document.chunkCount);
    expect(await instance.vectors.count(collectionName(kb.id))).toBe(after.document.chunkCount);
  });

  it("fails a document whose embedding model is unreachable, with the reason, and reindexes it on request", async () => {
    const kb = await createKb(alice);
    embeddings.failNext = 1;
    const doc = await addText(alice, kb.id, "Flaky", "Some text to embed.");
    const events = await follow(alice, doc.id);
    expect(events.at(-1)).toMatchObject({ status: "FAILED" });
    expect(events.at(-1)!.error).toMatch(/embedding model test-embedder failed/);
    await gqlOk(url, alice, "mutation($id: ID!) { reindexDocument(id: $id) { status } }", { id: doc.id });
    expect((await follow(alice, doc.id)).at(-1)).toMatchObject({ status: "READY" });

    // A document that failed before any vector was written can still be deleted.
    const fresh = await createKb(alice);
    embeddings.failNext = 1;
    const failed = await addText(alice, fresh.id, "Never embedded", "Text that never gets a vector.");
    expect((await follow(alice, failed.id)).at(-1)).toMatchObject({ status: "FAILED" });
    expect(await gqlOk(url, alice, "mutation($id: ID!) { deleteDocument(id: $id) }", { id: failed.id })).toEqual({
      deleteDocument: true,
    });
  });
});
