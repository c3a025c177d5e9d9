import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDocx, makePdf } from "../../subgraphs/conversation/test/documents.js";
import { bootPlatform, collect, gql, gqlOk, login, wsClient, type Platform } from "./harness.js";

let platform: Platform;
let token: string;

async function upload(fileName: string, body: Uint8Array, contentType: string): Promise<string> {
  const { createUploadUrl } = await gqlOk(
    platform,
    "mutation($input: CreateUploadUrlInput!) { createUploadUrl(input: $input) { url method headers key } }",
    { input: { fileName, contentType, size: body.byteLength } },
    token,
  );
  const res = await fetch(new URL(createUploadUrl.url, platform.url), {
    method: createUploadUrl.method,
    headers: createUploadUrl.headers,
    body,
  });
  expect(res.ok).toBe(true);
  return createUploadUrl.key as string;
}

const DOC_FIELDS = "id title status progress chunkCount error format";

beforeAll(async () => {
  platform = await bootPlatform();
  token = await login(platform);
});

afterAll(async () => {
  await platform?.stop();
});

describe("knowledge bases through the gateway", () => {
  let kbId: string;
  let pdfId: string;
  let docxId: string;

  it("ingests an uploaded PDF and DOCX with progress events", async () => {
    const { createKnowledgeBase } = await gqlOk(
      platform,
      'mutation { createKnowledgeBase(input: { name: "Product handbook" }) { id embeddingModelId chunking retrieval } }',
      {},
      token,
    );
    expect(createKnowledgeBase.embeddingModelId).toBe("builtin-embedder");
    kbId = createKnowledgeBase.id;

    const pdf = await makePdf([
      ["Warranty terms.", "The Aurora kettle comes with a warranty of 36 months from the date of purchase."],
      ["Care.", "Descale the kettle every month with white vinegar."],
    ]);
    const docx = await makeDocx([
      { text: "Shipping policy", heading: 1 },
      { text: "Orders ship within two business days from our warehouse in Rotterdam." },
      { text: "Returns", heading: 2 },
      { text: "Unused items can be returned within 30 days for a full refund." },
    ]);
    const pdfKey = await upload("aurora-warranty.pdf", pdf, "application/pdf");
    const docxKey = await upload(
      "shipping.docx",
      docx,
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    );

    const ws = wsClient(platform, token);
    try {
      // Subscribe to the whole knowledge base first, so no event of either document is missed.
      const events: { documentStatus: { id: string; status: string; progress: number } }[] = [];
      const done = new Set<string>();
      const watching = collect<(typeof events)[number]>(
        ws,
        `subscription($kb: ID) { documentStatus(knowledgeBaseId: $kb) { ${DOC_FIELDS} } }`,
        { kb: kbId },
        (event) => {
          events.push(event);
          if (["READY", "FAILED"].includes(event.documentStatus.status)) done.add(event.documentStatus.id);
          return done.size === 2;
        },
        60_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const add = async (storagePath: string) =>
        (
          await gqlOk(
            platform,
            `mutation($input: AddDocumentInput!) { addDocument(input: $input) { ${DOC_FIELDS} } }`,
            { input: { knowledgeBaseId: kbId, storagePath } },
            token,
          )
        ).addDocument;
      pdfId = (await add(pdfKey)).id;
      docxId = (await add(docxKey)).id;
      await watching;
      const statuses = (id: string) =>
        events.filter((e) => e.documentStatus.id === id).map((e) => e.documentStatus.status);
      for (const id of [pdfId, docxId]) {
        expect(statuses(id).at(-1)).toBe("READY");
        expect(statuses(id)).toContain("EMBEDDING");
      }
    } finally {
      await ws.dispose();
    }

    const { knowledgeBase } = await gqlOk(
      platform,
      "query($id: ID!) { knowledgeBase(id: $id) { chunkCount documents { totalCount edges { node { id title format status chunkCount } } } } }",
      { id: kbId },
      token,
    );
    expect(knowledgeBase.documents.totalCount).toBe(2);
    const byId = Object.fromEntries(
      knowledgeBase.documents.edges.map((e: { node: { id: string } }) => [e.node.id, e.node]),
    );
    expect(byId[pdfId]).toMatchObject({ title: "aurora-warranty.pdf", format: "pdf", status: "READY" });
    expect(byId[docxId]).toMatchObject({ title: "shipping.docx", format: "docx", status: "READY" });
  });

  it("searches with each retriever's scores shown", async () => {
    const { searchKnowledgeBase } = await gqlOk(
      platform,
      `query($input: SearchKnowledgeBaseInput!) { searchKnowledgeBase(input: $input) {
        text score document { id title } scores { vector vectorRank keyword keywordRank fused }
      } }`,
      { input: { knowledgeBaseId: kbId, query: "How long is the kettle warranty?", topK: 3 } },
      token,
    );
    expect(searchKnowledgeBase[0].document.id).toBe(pdfId);
    expect(searchKnowledgeBase[0].text).toContain("36 months");
    expect(searchKnowledgeBase[0].scores.vector).toBeGreaterThan(0);
    expect(searchKnowledgeBase[0].scores.keyword).toBeGreaterThan(0);
  });

  it("answers a question from the PDF in a chat, citing it before the first token", async () => {
    const { createConversation } = await gqlOk(
      platform,
      "mutation($input: CreateConversationInput!) { createConversation(input: $input) { id knowledgeBaseIds } }",
      { input: { title: "Kettle questions", knowledgeBaseIds: [kbId] } },
      token,
    );
    expect(createConversation.knowledgeBaseIds).toEqual([kbId]);
    const { sendMessage } = await gqlOk(
      platform,
      "mutation($input: SendMessageInput!) { sendMessage(input: $input) { assistantMessage { id } } }",
      {
        input: {
          conversationId: createConversation.id,
          content: "How many months is the warranty of the Aurora kettle?",
        },
      },
      token,
    );
    const ws = wsClient(platform, token);
    try {
      const events = await collect<{ messageStream: Record<string, any> }>(
        ws,
        `subscription($id: ID!) { messageStream(messageId: $id) {
          __typename
          ... on MessageToken { seq delta }
          ... on MessageCitations { seq citations { index snippet documentName document { id title } } }
          ... on MessageDone { seq message { content status citations { index documentId } } }
          ... on MessageFailed { seq code reason }
        } }`,
        { id: sendMessage.assistantMessage.id },
        (event) => ["MessageDone", "MessageFailed"].includes(event.messageStream.__typename),
      );
      const kinds = events.map((e) => e.messageStream.__typename).filter((k) => k !== "MessageHeartbeat");
      expect(kinds.at(-1)).toBe("MessageDone");
      const first = kinds.findIndex((k) => k === "MessageToken");
      expect(kinds.indexOf("MessageCitations")).toBeGreaterThanOrEqual(0);
      expect(kinds.indexOf("MessageCitations")).toBeLessThan(first);
      const citations = events.find((e) => e.messageStream.__typename === "MessageCitations")!.messageStream.citations;
      const pdfCitation = citations.find((c: { document: { id: string } | null }) => c.document?.id === pdfId);
      expect(pdfCitation).toMatchObject({
        documentName: "aurora-warranty.pdf",
        document: { title: "aurora-warranty.pdf" },
      });
      expect(pdfCitation.snippet).toContain("36 months");
      const done = events.at(-1)!.messageStream.message;
      // The built-in model answers by quoting the sources, markers included.
      expect(done.content).toContain("36 months");
      expect(done.content).toContain(`[${pdfCitation.index}]`);
      expect(done.citations.map((c: { documentId: string }) => c.documentId)).toContain(pdfId);
    } finally {
      await ws.dispose();
    }
  });

  it("turns a dataset's rows into documents, and the dataset shows the knowledge base in its lineage", async () => {
    const csv =
      "sku,name,notes\nXK-2291,Aurora kettle,Boils 1.7 litres in three minutes\nQZ-1001,Breeze fan,Three speeds and a timer\n";
    const key = await upload("products.csv", new TextEncoder().encode(csv), "text/csv");
    const { registerDataset } = await gqlOk(
      platform,
      "mutation($input: RegisterDatasetInput!) { registerDataset(input: $input) { id } }",
      { input: { name: "products", storagePath: key } },
      token,
    );
    const { addDocument } = await gqlOk(
      platform,
      "mutation($input: AddDocumentInput!) { addDocument(input: $input) { id title } }",
      {
        input: { knowledgeBaseId: kbId, datasetId: registerDataset.id, textTemplate: "{{name}} ({{sku}}): {{notes}}" },
      },
      token,
    );
    await expect
      .poll(
        async () =>
          (
            await gqlOk(
              platform,
              "query($id: ID!) { document(id: $id) { status error } }",
              { id: addDocument.id },
              token,
            )
          ).document as { status: string; error: string | null },
        { timeout: 30_000 },
      )
      .toEqual({ status: "READY", error: null });
    const { searchKnowledgeBase } = await gqlOk(
      platform,
      "query($input: SearchKnowledgeBaseInput!) { searchKnowledgeBase(input: $input) { text document { id dataset { id name } } } }",
      { input: { knowledgeBaseId: kbId, query: "XK-2291 kettle litres", mode: "KEYWORD", topK: 1 } },
      token,
    );
    expect(searchKnowledgeBase[0].text).toContain("Aurora kettle (XK-2291): Boils 1.7 litres");
    expect(searchKnowledgeBase[0].document.dataset).toEqual({ id: registerDataset.id, name: "products" });
    const { dataset } = await gqlOk(
      platform,
      "query($id: ID!) { dataset(id: $id) { name knowledgeBases { id name } } }",
      { id: registerDataset.id },
      token,
    );
    expect(dataset.knowledgeBases).toEqual([{ id: kbId, name: "Product handbook" }]);
  });

  it("answers NOT_FOUND for a missing knowledge base and BAD_USER_INPUT for an unsupported file", async () => {
    const missing = await gql(platform, 'query { knowledgeBase(id: "nope") { id } }', {}, token);
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const key = await upload("picture.png", new Uint8Array([0x89, 0x50, 0x4e, 0x47]), "image/png");
    const bad = await gql(
      platform,
      "mutation($input: AddDocumentInput!) { addDocument(input: $input) { id } }",
      { input: { knowledgeBaseId: kbId, storagePath: key } },
      token,
    );
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
