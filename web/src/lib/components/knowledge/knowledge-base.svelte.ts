import type { CombinedError } from "@urql/core";
import { client } from "$lib/client";
import { errorMessage } from "$lib/errors";
import type {
  DocumentStatus,
  KnowledgeDocumentFieldsFragment,
  ResourceAccess,
  ResourceShareFieldsFragment,
  ShareInput,
} from "$lib/gql/graphql";
import {
  AddDocumentMutation,
  CreateUploadUrlMutation,
  DeleteDocumentMutation,
  DocumentStatusSubscription,
  KnowledgeBaseQuery,
  ReindexDocumentMutation,
  ShareKnowledgeBaseMutation,
  UnshareKnowledgeBaseMutation,
} from "./operations";
import { uploadFile } from "./upload";

/** A document as the table shows it. */
export type KnowledgeDocument = KnowledgeDocumentFieldsFragment;

/** One person or role the knowledge base is shared with, as the sharing panel lists it. */
export type KnowledgeBaseShare = ResourceShareFieldsFragment;

/** The knowledge base's own settings, as the page header shows them. */
export interface KnowledgeBaseInfo {
  id: string;
  name: string;
  description: string | null;
  embeddingModelId: string;
  chunking: unknown;
  retrieval: unknown;
  chunkCount: number;
  /** What the signed-in user may do with it. */
  access: ResourceAccess;
}

/** A file on its way in: its bytes going up, then the document being added. */
export interface PendingUpload {
  key: number;
  name: string;
  loaded: number;
  total: number;
  phase: "uploading" | "adding";
  error: string | null;
}

/** How many documents the table loads at once. */
const PAGE_SIZE = 50;
/** Wait before following the knowledge base again after the live connection dropped. @defaultValue 2 s doubling up to 15 s */
const retryDelay = (attempt: number): number => Math.min(15_000, 2_000 * 2 ** attempt);

/**
 * Ingestion progress as one number from 0 to 1 over all stages, for a bar that only moves forward.
 *
 * @remarks
 * The server's `progress` runs from 0 to 1 within each status. Parsing (and chunking) is quick next to embedding,
 * so it gets the first fifth of the bar and embedding the rest.
 */
export function overallProgress(status: DocumentStatus, progress: number): number {
  const p = Math.min(1, Math.max(0, progress));
  switch (status) {
    case "QUEUED":
      return 0;
    case "PARSING":
      return 0.2 * p;
    case "EMBEDDING":
      return 0.2 + 0.8 * p;
    case "READY":
      return 1;
    case "FAILED":
      return 0;
  }
}

/**
 * The state of one knowledge base's page: its documents, kept live by one `documentStatus(knowledgeBaseId)`
 * subscription, and the files being uploaded into it.
 */
export class KnowledgeBaseState {
  info = $state<KnowledgeBaseInfo | null>(null);
  documents = $state<KnowledgeDocument[]>([]);
  totalDocuments = $state(0);
  hasMore = $state(false);
  uploads = $state<PendingUpload[]>([]);
  /** Whom it is shared with; the server sends them to its owner and admins only. */
  shares = $state<KnowledgeBaseShare[]>([]);
  loading = $state(true);
  notFound = $state(false);
  error = $state<string | null>(null);
  /** Set while the live connection is down and being re-opened. */
  liveError = $state<string | null>(null);

  readonly #id: string;
  #endCursor: string | null = null;
  #unsubscribe: (() => void) | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #disposed = false;
  #uploadKey = 0;
  /** Documents deleted here: a late status event must not bring them back. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- read in event handlers only, never rendered
  readonly #deleted = new Set<string>();

  constructor(id: string) {
    this.#id = id;
  }

  /** Loads the knowledge base and its first documents, then follows their ingestion. */
  async init(): Promise<void> {
    await this.load();
    if (!this.notFound) this.#follow();
  }

  /** Stops following the documents and cancels a pending reconnect. */
  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#retry);
    this.#unsubscribe?.();
  }

  /** Loads the knowledge base and its documents; with `more`, appends the next page of documents. */
  async load(more = false): Promise<void> {
    const result = await client
      .query(
        KnowledgeBaseQuery,
        { id: this.#id, first: PAGE_SIZE, after: more ? this.#endCursor : null },
        { requestPolicy: "network-only" },
      )
      .toPromise();
    this.loading = false;
    const kb = result.data?.knowledgeBase;
    // Someone else's knowledge base answers NOT_FOUND, as does one whose share with the user just ended.
    if (!kb && (!result.error || result.error.graphQLErrors.some((e) => e.extensions?.code === "NOT_FOUND"))) {
      this.error = null;
      this.notFound = true;
      return;
    }
    // A field error still leaves the rest of the answer worth showing, next to the message.
    this.error = result.error ? errorMessage(result.error) : null;
    if (!kb) return;
    const { documents, shares, ...info } = kb;
    this.info = info;
    this.shares = shares;
    const loaded = documents.edges.map((e) => e.node).filter((d) => !this.#deleted.has(d.id));
    const known = more ? this.documents : [];
    this.documents = [...known, ...loaded.filter((d) => !known.some((k) => k.id === d.id))];
    this.totalDocuments = documents.totalCount;
    this.hasMore = documents.pageInfo.hasNextPage;
    this.#endCursor = documents.pageInfo.endCursor ?? null;
  }

  #follow(): void {
    const subscription = client
      .subscription(DocumentStatusSubscription, { knowledgeBaseId: this.#id })
      .subscribe((result) => {
        const doc = result.data?.documentStatus;
        // An event whose data came with a field error still says where the document is; only an event without
        // data (the connection dropped, or the server refused the subscription) ends the stream.
        if (!doc) {
          if (result.error) this.#reconnect(result.error);
          return;
        }
        this.#attempt = 0;
        this.liveError = null;
        this.#apply(doc);
      });
    this.#unsubscribe = () => subscription.unsubscribe();
  }

  /** Follows again after a pause, and reloads meanwhile so that no change made while offline is missed. */
  #reconnect(error: CombinedError): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#disposed) return;
    this.liveError = `Live updates paused: ${errorMessage(error)} Reconnecting…`;
    this.#retry = setTimeout(() => {
      if (this.#disposed) return;
      void this.load().then(() => {
        if (!this.#disposed && !this.notFound) this.#follow();
      });
    }, retryDelay(this.#attempt++));
  }

  #apply(doc: KnowledgeDocument): void {
    if (this.#deleted.has(doc.id)) return;
    const index = this.documents.findIndex((d) => d.id === doc.id);
    if (index === -1) {
      this.documents = [doc, ...this.documents];
      this.totalDocuments += 1;
    } else {
      this.documents[index] = doc;
    }
    if (doc.status === "READY" || doc.status === "FAILED") void this.#refreshCounts();
  }

  /** The knowledge base's chunk count changes as documents finish. */
  async #refreshCounts(): Promise<void> {
    const result = await client
      .query(KnowledgeBaseQuery, { id: this.#id, first: 1 }, { requestPolicy: "network-only" })
      .toPromise();
    const kb = result.data?.knowledgeBase;
    if (kb && this.info) this.info.chunkCount = kb.chunkCount;
  }

  /** Uploads files one after another and adds each as a document; each shows its own progress or error. */
  async upload(files: readonly File[]): Promise<void> {
    const pending = files.map((file) => ({ file, key: ++this.#uploadKey }));
    this.uploads = [
      ...this.uploads,
      ...pending.map(({ file, key }) => ({
        key,
        name: file.name,
        loaded: 0,
        total: file.size,
        phase: "uploading" as const,
        error: null,
      })),
    ];
    for (const { file, key } of pending) await this.#uploadOne(file, key);
  }

  async #uploadOne(file: File, key: number): Promise<void> {
    // Reads through the proxy so that changes made here show in the page.
    const entry = () => this.uploads.find((u) => u.key === key);
    const fail = (message: string) => {
      const e = entry();
      if (e) e.error = message;
    };
    const contentType = file.type || "application/octet-stream";
    const target = await client
      .mutation(CreateUploadUrlMutation, { input: { fileName: file.name, contentType, size: file.size } })
      .toPromise();
    if (target.error || !target.data) return fail(target.error ? errorMessage(target.error) : "No upload URL.");
    const { key: storagePath, ...where } = target.data.createUploadUrl;
    try {
      await uploadFile(where, file, (loaded, total) => {
        const e = entry();
        if (e) Object.assign(e, { loaded, total });
      });
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e));
    }
    const e = entry();
    if (e) e.phase = "adding";
    const added = await client
      .mutation(AddDocumentMutation, {
        input: { knowledgeBaseId: this.#id, storagePath, title: file.name, mimeType: file.type || undefined },
      })
      .toPromise();
    if (added.error || !added.data)
      return fail(added.error ? errorMessage(added.error) : "The document was not added.");
    this.#apply(added.data.addDocument);
    this.uploads = this.uploads.filter((u) => u.key !== key);
  }

  /** Forgets a failed upload's line. */
  dismissUpload(key: number): void {
    this.uploads = this.uploads.filter((u) => u.key !== key);
  }

  /** Adds a document from text; resolves to an error message, or null once it is queued. */
  async addText(text: string, title: string): Promise<string | null> {
    const result = await client
      .mutation(AddDocumentMutation, {
        input: { knowledgeBaseId: this.#id, text, title: title.trim() || undefined },
      })
      .toPromise();
    if (result.error || !result.data) return result.error ? errorMessage(result.error) : "The text was not added.";
    this.#apply(result.data.addDocument);
    return null;
  }

  /** Deletes a document with its chunks; resolves to an error message, or null. */
  async remove(id: string): Promise<string | null> {
    const result = await client.mutation(DeleteDocumentMutation, { id }).toPromise();
    if (result.error) return errorMessage(result.error);
    this.#deleted.add(id);
    this.documents = this.documents.filter((d) => d.id !== id);
    this.totalDocuments = Math.max(0, this.totalDocuments - 1);
    void this.#refreshCounts();
    return null;
  }

  /** Shares the knowledge base, or changes an existing share's permission; resolves to an error message, or null. */
  async share(input: ShareInput): Promise<string | null> {
    const result = await client.mutation(ShareKnowledgeBaseMutation, { id: this.#id, input }).toPromise();
    if (result.error || !result.data) return result.error ? errorMessage(result.error) : "It was not shared.";
    const share = result.data.shareKnowledgeBase;
    // Sharing again with the same person or role updates that share, under the same id.
    const index = this.shares.findIndex((s) => s.id === share.id);
    if (index === -1) this.shares = [...this.shares, share];
    else this.shares[index] = share;
    return null;
  }

  /** Ends a share at once; resolves to an error message, or null. */
  async unshare(shareId: string): Promise<string | null> {
    const result = await client.mutation(UnshareKnowledgeBaseMutation, { id: this.#id, shareId }).toPromise();
    if (result.error) return errorMessage(result.error);
    this.shares = this.shares.filter((s) => s.id !== shareId);
    return null;
  }

  /** Ingests a document again; resolves to an error message, or null. */
  async reindex(id: string): Promise<string | null> {
    const result = await client.mutation(ReindexDocumentMutation, { id }).toPromise();
    if (result.error || !result.data) return result.error ? errorMessage(result.error) : "Nothing happened.";
    this.#apply(result.data.reindexDocument);
    return null;
  }
}
