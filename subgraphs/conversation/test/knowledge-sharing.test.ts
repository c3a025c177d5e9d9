import { INTERNAL_TOKEN_HEADER, signInternalToken, staticUserDirectory, type Caller } from "@ods/kit";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ConversationShare } from "../src/entities/index.js";
import { startEmbeddingServer, type EmbeddingServer } from "./embedding-server.js";
import { gql, gqlOk, SECRET, startInstance, tempDir } from "./harness.js";

const alice: Caller = { userId: "alice", email: "alice@example.com", roles: ["editor"] };
const bob: Caller = { userId: "bob", email: "bob@example.com", roles: ["editor"] };
/** An admin who owns nothing: reaches any knowledge base by id, lists only their own and shared ones. */
const admin: Caller = { userId: "root", email: "root@example.com", roles: ["admin"] };
/** Has only the `viewer` role: reaches knowledge bases shared with that role. */
const carol: Caller = { userId: "carol", email: "carol@example.com", roles: ["viewer"] };

const directory = staticUserDirectory(
  [alice, bob, carol].map((c) => ({ id: c.userId!, email: c.email!, name: c.userId!, disabled: false })),
);

let embeddings: EmbeddingServer;
let instance: Awaited<ReturnType<typeof startInstance>>;
let url: string;

const KB = "query($id: ID!) { knowledgeBase(id: $id) { id name access documents { totalCount } } }";
const SHARE = `mutation($id: ID!, $input: ShareInput!) {
  shareKnowledgeBase(id: $id, input: $input) { id principalType userId email role permission }
}`;
const SHARES = "query($id: ID!) { knowledgeBase(id: $id) { shares { id userId email role permission } } }";

const codeOf = (result: { errors?: { extensions?: { code?: string } }[] }) => result.errors?.[0]?.extensions?.code;

async function createKb(caller: Caller, name: string) {
  const data = await gqlOk(
    url,
    caller,
    "mutation($input: CreateKnowledgeBaseInput!) { createKnowledgeBase(input: $input) { id } }",
    { input: { name, embeddingModelId: "test-embedder" } },
  );
  return data.createKnowledgeBase.id as string;
}

function addText(caller: Caller, knowledgeBaseId: string, title: string, text: string) {
  return gql(url, caller, "mutation($input: AddDocumentInput!) { addDocument(input: $input) { id status } }", {
    input: { knowledgeBaseId, title, text },
  });
}

/** Follows `documentStatus` over graphql-ws until the document is READY or FAILED; the last status. */
async function follow(caller: Caller, documentId: string): Promise<string | undefined> {
  const client = createClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { [INTERNAL_TOKEN_HEADER]: await signInternalToken(SECRET, caller) },
    retryAttempts: 0,
  });
  let last: string | undefined;
  try {
    for await (const result of client.iterate<{ documentStatus: { status: string } }>({
      query: "subscription($id: ID) { documentStatus(documentId: $id) { status } }",
      variables: { id: documentId },
    })) {
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      last = result.data!.documentStatus.status;
    }
  } finally {
    await client.dispose();
  }
  return last;
}

function search(caller: Caller, knowledgeBaseId: string, query: string) {
  return gql(url, caller, "query($input: SearchKnowledgeBaseInput!) { searchKnowledgeBase(input: $input) { text } }", {
    input: { knowledgeBaseId, query, topK: 3 },
  });
}

async function listedIds(caller: Caller): Promise<string[]> {
  const data = await gqlOk(url, caller, "{ knowledgeBases(first: 100) { edges { node { id } } } }");
  return data.knowledgeBases.edges.map((e: { node: { id: string } }) => e.node.id);
}

beforeAll(async () => {
  embeddings = await startEmbeddingServer();
  instance = await startInstance({ dataDir: tempDir(), modelUrl: embeddings.url, tuning: { directory } });
  url = instance.url;
});

afterAll(async () => {
  await instance?.close();
  await embeddings?.close();
});

describe("sharing knowledge bases", () => {
  it("lets a viewer see, browse and search a knowledge base but not change it, and an editor change it", async () => {
    const kbId = await createKb(alice, "Shared handbook");
    const added = await addText(alice, kbId, "Refunds", "The refund window is 30 days from delivery.");
    const docId = added.data!.addDocument.id as string;
    expect(await follow(alice, docId)).toBe("READY");

    // A stranger: not found, not listed, cannot search.
    expect(codeOf(await gql(url, bob, KB, { id: kbId }))).toBe("NOT_FOUND");
    expect(await listedIds(bob)).not.toContain(kbId);
    expect(codeOf(await search(bob, kbId, "refund"))).toBe("NOT_FOUND");

    const shared = await gqlOk(url, alice, SHARE, {
      id: kbId,
      input: { email: "bob@example.com", permission: "VIEWER" },
    });
    expect(shared.shareKnowledgeBase).toMatchObject({
      principalType: "USER",
      userId: "bob",
      email: "bob@example.com",
      role: null,
      permission: "VIEWER",
    });

    // A viewer: sees, lists, browses, follows and searches it.
    expect((await gqlOk(url, bob, KB, { id: kbId })).knowledgeBase).toMatchObject({
      access: "VIEWER",
      documents: { totalCount: 1 },
    });
    expect(await listedIds(bob)).toContain(kbId);
    const doc = await gqlOk(
      url,
      bob,
      "query($id: ID!) { document(id: $id) { title chunks { edges { node { id } } } } }",
      { id: docId },
    );
    expect(doc.document.title).toBe("Refunds");
    const chunkId = doc.document.chunks.edges[0].node.id as string;
    expect(await follow(bob, docId)).toBe("READY");
    const hits = await search(bob, kbId, "How long is the refund window?");
    expect(hits.errors).toBeUndefined();
    expect(hits.data!.searchKnowledgeBase[0].text).toContain("refund window");

    // ... but changes nothing.
    const update = await gql(
      url,
      bob,
      'mutation($id: ID!) { updateKnowledgeBase(id: $id, input: { name: "x" }) { id } }',
      {
        id: kbId,
      },
    );
    expect(codeOf(update)).toBe("FORBIDDEN");
    expect(codeOf(await addText(bob, kbId, "Mine", "A viewer's text."))).toBe("FORBIDDEN");
    expect(codeOf(await gql(url, bob, "mutation($id: ID!) { deleteDocument(id: $id) }", { id: docId }))).toBe(
      "FORBIDDEN",
    );
    expect(
      codeOf(
        await gql(url, bob, "mutation($id: ID!) { updateChunk(id: $id, input: { enabled: false }) { id } }", {
          id: chunkId,
        }),
      ),
    ).toBe("FORBIDDEN");
    expect(codeOf(await gql(url, bob, "mutation($id: ID!) { deleteKnowledgeBase(id: $id) }", { id: kbId }))).toBe(
      "FORBIDDEN",
    );

    // Sharing again changes the permission of the same share: now bob may add documents.
    const again = await gqlOk(url, alice, SHARE, { id: kbId, input: { userId: "bob", permission: "EDITOR" } });
    expect(again.shareKnowledgeBase).toMatchObject({ id: shared.shareKnowledgeBase.id, permission: "EDITOR" });
    expect((await gqlOk(url, bob, KB, { id: kbId })).knowledgeBase.access).toBe("EDITOR");
    const byBob = await addText(bob, kbId, "Shipping", "Parcels ship within two working days.");
    expect(byBob.errors).toBeUndefined();
    expect((await gqlOk(url, alice, KB, { id: kbId })).knowledgeBase.documents.totalCount).toBe(2);
    // An editor still may not delete or share it.
    expect(codeOf(await gql(url, bob, "mutation($id: ID!) { deleteKnowledgeBase(id: $id) }", { id: kbId }))).toBe(
      "FORBIDDEN",
    );
  });

  it("shares with a role, shows shares only to the owner, and unsharing takes access away", async () => {
    const kbId = await createKb(alice, "Team glossary");
    const added = await addText(alice, kbId, "Terms", "An SLA is a service level agreement.");
    const docId = added.data!.addDocument.id as string;

    expect(codeOf(await gql(url, carol, KB, { id: kbId }))).toBe("NOT_FOUND");
    await gqlOk(url, alice, SHARE, { id: kbId, input: { role: "viewer", permission: "VIEWER" } });
    expect((await gqlOk(url, carol, KB, { id: kbId })).knowledgeBase.access).toBe("VIEWER");
    expect(await listedIds(carol)).toContain(kbId);
    // bob has the editor role, not viewer: the role share is not for him.
    expect(codeOf(await gql(url, bob, KB, { id: kbId }))).toBe("NOT_FOUND");

    const bobShare = await gqlOk(url, alice, SHARE, { id: kbId, input: { userId: "bob", permission: "VIEWER" } });

    // A viewer may not share, and sees no shares.
    const reshare = await gql(url, bob, SHARE, { id: kbId, input: { userId: "carol", permission: "EDITOR" } });
    expect(codeOf(reshare)).toBe("FORBIDDEN");
    expect((await gqlOk(url, bob, SHARES, { id: kbId })).knowledgeBase.shares).toEqual([]);
    const owners = (await gqlOk(url, alice, SHARES, { id: kbId })).knowledgeBase.shares;
    expect(owners).toEqual([
      expect.objectContaining({ role: "viewer", userId: null, permission: "VIEWER" }),
      expect.objectContaining({ userId: "bob", email: "bob@example.com", permission: "VIEWER" }),
    ]);

    // An unknown email is bad input, and writes nothing.
    const unknown = await gql(url, alice, SHARE, {
      id: kbId,
      input: { email: "nobody@example.com", permission: "VIEWER" },
    });
    expect(codeOf(unknown)).toBe("BAD_USER_INPUT");
    expect((await gqlOk(url, alice, SHARES, { id: kbId })).knowledgeBase.shares).toHaveLength(2);

    const unshared = await gqlOk(
      url,
      alice,
      "mutation($id: ID!, $s: ID!) { unshareKnowledgeBase(id: $id, shareId: $s) }",
      {
        id: kbId,
        s: bobShare.shareKnowledgeBase.id,
      },
    );
    expect(unshared.unshareKnowledgeBase).toBe(true);
    expect(codeOf(await gql(url, bob, KB, { id: kbId }))).toBe("NOT_FOUND");
    expect(codeOf(await gql(url, bob, "query($id: ID!) { document(id: $id) { id } }", { id: docId }))).toBe(
      "NOT_FOUND",
    );
    expect(await listedIds(bob)).not.toContain(kbId);
  });

  it("lets an admin open anyone's knowledge base and its documents by id without listing them", async () => {
    const kbId = await createKb(alice, "Private notes");
    const added = await addText(alice, kbId, "Note", "Nothing to see here.");
    const docId = added.data!.addDocument.id as string;
    expect((await gqlOk(url, admin, KB, { id: kbId })).knowledgeBase.access).toBe("ADMIN");
    const doc = await gqlOk(url, admin, "query($id: ID!) { document(id: $id) { id } }", { id: docId });
    expect(doc.document.id).toBe(docId);
    expect(await listedIds(admin)).not.toContain(kbId);
  });

  it("deleting a knowledge base removes its shares", async () => {
    const kbId = await createKb(alice, "Short-lived");
    await gqlOk(url, alice, SHARE, { id: kbId, input: { userId: "bob", permission: "EDITOR" } });
    await gqlOk(url, alice, "mutation($id: ID!) { deleteKnowledgeBase(id: $id) }", { id: kbId });
    expect(await instance.orm.em.fork().count(ConversationShare, { resourceId: kbId })).toBe(0);
    expect(codeOf(await gql(url, bob, KB, { id: kbId }))).toBe("NOT_FOUND");
  });
});
