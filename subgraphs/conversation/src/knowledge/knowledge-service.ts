import type { EntityManager, FilterQuery } from "@mikro-orm/core";
import {
  AppError,
  assertObjectKey,
  badInput,
  ErrorCode,
  notFound,
  pageWindow,
  parseInput,
  requireUser,
  ResourceAccess,
  toPage,
  type Caller,
  type Logger,
  type ObjectStore,
  type Page,
  type SharingService,
  type shareInput,
  withoutNulls,
  whereThrough,
} from "@ods/kit";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  DocumentSource,
  DocumentStatus,
  KnowledgeBase,
  KnowledgeChunk,
  KnowledgeDocument,
  ConversationShare,
  type StoredChunkSettings,
  type StoredRetrievalSettings,
} from "../entities/index.js";
import type { Embedder } from "./embedder.js";
import { collectionName } from "./events.js";
import { bumpContentVersion, type IngestionService } from "./ingestion-service.js";
import { DEFAULT_CHUNK_SETTINGS, validateChunkSettings } from "./text/chunk.js";
import { detectFormat } from "./text/parse.js";
import type { VectorStore } from "./vectors/vector-store.js";

/** Most characters a document added as text may have (larger texts are uploaded as files). */
export const MAX_TEXT_CHARS = 5_000_000;

const name = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const modelRef = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const retrieval = z
  .object({
    mode: z.enum(["VECTOR", "KEYWORD", "HYBRID"], { error: "must be VECTOR, KEYWORD or HYBRID" }).optional(),
    topK: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(50, "must be at most 50")
      .optional(),
    scoreThreshold: z.number().min(0, "must be at least 0").max(1_000, "must be at most 1000").nullable().optional(),
    rerankModel: modelRef.nullable().optional(),
  })
  .strict();
const metadata = z.record(z.string(), z.unknown(), { error: "must be an object of name: value" });

const createInput = z.object({
  name,
  description: z.string().max(2_000, "must be at most 2000 characters").optional(),
  embeddingModelId: modelRef.optional(),
  chunking: z.record(z.string(), z.unknown(), { error: "must be an object" }).optional(),
  retrieval: retrieval.optional(),
});

const updateInput = z.object({
  name: name.optional(),
  description: z.string().max(2_000, "must be at most 2000 characters").optional(),
  embeddingModelId: modelRef.optional(),
  chunking: z.record(z.string(), z.unknown(), { error: "must be an object" }).optional(),
  retrieval: retrieval.optional(),
});

const addInput = z
  .object({
    knowledgeBaseId: z.string().min(1).max(64),
    title: z.string().trim().min(1, "must not be empty").max(300, "must be at most 300 characters").optional(),
    text: z.string().max(MAX_TEXT_CHARS, `must be at most ${MAX_TEXT_CHARS} characters`).optional(),
    storagePath: z.string().trim().min(1, "must not be empty").max(1024).optional(),
    mimeType: z.string().trim().max(200).optional(),
    datasetId: z.string().trim().min(1, "must not be empty").max(64).optional(),
    textTemplate: z.string().max(10_000, "must be at most 10000 characters").optional(),
    metadata: metadata.optional(),
  })
  .superRefine((input, ctx) => {
    const given = [input.text, input.storagePath, input.datasetId].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({ code: "custom", path: ["text"], message: "give exactly one of text, storagePath or datasetId" });
    }
    if (input.text !== undefined && !input.text.trim()) {
      ctx.addIssue({ code: "custom", path: ["text"], message: "must not be empty" });
    }
    if (input.textTemplate !== undefined && input.datasetId === undefined) {
      ctx.addIssue({ code: "custom", path: ["textTemplate"], message: "only applies to a dataset (datasetId)" });
    }
  });

export type CreateKnowledgeBase = z.input<typeof createInput>;
export type UpdateKnowledgeBase = z.input<typeof updateInput>;
export type AddDocument = z.input<typeof addInput>;

/** GraphQL gives `null` for an omitted optional field; zod's defaults and optionals work on `undefined`. */
/** The `resourceType` of knowledge base shares. */
const KNOWLEDGE_BASE = "KnowledgeBase";

/**
 * Knowledge bases, their documents and chunks. Each user sees their own and those shared with them: viewers may
 * browse, search and chat with a knowledge base, editors also change its settings, documents and chunks; owners
 * and admins delete and share it. One someone may not see answers NOT_FOUND (so ids cannot be probed), one they
 * may see but not change FORBIDDEN.
 */
export class KnowledgeService {
  constructor(
    private readonly deps: {
      store: ObjectStore;
      vectors: VectorStore;
      embedder: Embedder;
      ingestion: IngestionService;
      sharing: SharingService<ConversationShare>;
      defaultEmbeddingModel: string;
      logger: Logger;
    },
  ) {}

  /** A filter for the knowledge bases the caller may see: theirs and those shared with them. */
  visibleWhere(em: EntityManager, caller: Caller): Promise<FilterQuery<KnowledgeBase>> {
    return this.deps.sharing.visibleWhere(em, caller, KNOWLEDGE_BASE) as Promise<FilterQuery<KnowledgeBase>>;
  }

  /** A filter for looking knowledge bases up by id: what the caller may see, and for admins everything. */
  reachableWhere(em: EntityManager, caller: Caller): Promise<FilterQuery<KnowledgeBase>> {
    return this.deps.sharing.reachableWhere(em, caller, KNOWLEDGE_BASE) as Promise<FilterQuery<KnowledgeBase>>;
  }

  /** What the caller may do with each knowledge base (DataLoader batch for `KnowledgeBase.access`). */
  accessOf(em: EntityManager, caller: Caller, kbs: readonly KnowledgeBase[]): Promise<ResourceAccess[]> {
    return this.deps.sharing.accessOfVisible(em, caller, KNOWLEDGE_BASE, kbs);
  }

  /** The shares of a knowledge base: owners and admins see them all, anyone else none. */
  shares(em: EntityManager, caller: Caller, kb: KnowledgeBase): Promise<ConversationShare[]> {
    return this.deps.sharing.sharesFor(em, caller, KNOWLEDGE_BASE, kb);
  }

  /** Shares a knowledge base with a user or a role as viewer or editor (owners and admins). */
  async share(
    em: EntityManager,
    caller: Caller,
    id: string,
    input: z.input<typeof shareInput>,
  ): Promise<ConversationShare> {
    const kb = await this.get(em, caller, id);
    return this.deps.sharing.grant(em, caller, KNOWLEDGE_BASE, kb, input);
  }

  /** Ends one share of a knowledge base (owners and admins); false when there was no such share. */
  async unshare(em: EntityManager, caller: Caller, id: string, shareId: string): Promise<boolean> {
    const kb = await this.get(em, caller, id);
    return this.deps.sharing.revoke(em, caller, KNOWLEDGE_BASE, kb, shareId);
  }

  async list(
    em: EntityManager,
    caller: Caller,
    args: { first?: number | null; after?: string | null; search?: string | null },
  ): Promise<Page<KnowledgeBase>> {
    requireUser(caller);
    const window = pageWindow(args);
    const search = args.search?.trim();
    const [items, total] = await em.findAndCount(
      KnowledgeBase,
      {
        ...((await this.visibleWhere(em, caller)) as object),
        ...(search ? { name: { $like: `%${escapeLike(search)}%` } } : {}),
      },
      { orderBy: { updatedAt: "desc", id: "asc" }, limit: window.limit, offset: window.offset },
    );
    return toPage(items, window.offset, total);
  }

  /** Knowledge base `id` when the caller may see it (admins: any), else null. */
  async find(em: EntityManager, caller: Caller, id: string): Promise<KnowledgeBase | null> {
    if (!caller.userId) return null;
    return em.findOne(KnowledgeBase, { id, ...((await this.reachableWhere(em, caller)) as object) });
  }

  /**
   * Knowledge base `id` when the caller may do what `needed` allows with it: NOT_FOUND when they may not see it,
   * FORBIDDEN when they may see it but not this.
   */
  async get(em: EntityManager, caller: Caller, id: string, needed = ResourceAccess.VIEWER): Promise<KnowledgeBase> {
    requireUser(caller);
    const kb = await em.findOne(KnowledgeBase, { id });
    await this.deps.sharing.require(em, caller, KNOWLEDGE_BASE, kb, needed, id);
    return kb!;
  }

  async create(em: EntityManager, caller: Caller, input: CreateKnowledgeBase): Promise<KnowledgeBase> {
    requireUser(caller);
    const data = parseInput(createInput, withoutNulls(input));
    const chunking = validateChunkSettings({ ...DEFAULT_CHUNK_SETTINGS, ...(data.chunking ?? {}) });
    const kb = em.create(KnowledgeBase, {
      name: data.name,
      description: data.description ?? null,
      ownerId: caller.userId,
      embeddingModelId: data.embeddingModelId ?? this.deps.defaultEmbeddingModel,
      chunking: chunking as StoredChunkSettings,
      retrieval: {
        mode: "HYBRID",
        topK: 5,
        scoreThreshold: null,
        rerankModel: null,
        ...withoutNulls(data.retrieval ?? {}),
      },
    });
    await em.flush();
    return kb;
  }

  /**
   * Changes a knowledge base. New chunking settings or a new embedding model re-index every document (its
   * chunks stay searchable until their replacement is ready); a new embedding model also starts a fresh
   * collection, since vectors of two models cannot be compared.
   */
  async update(em: EntityManager, caller: Caller, id: string, input: UpdateKnowledgeBase): Promise<KnowledgeBase> {
    const kb = await this.get(em, caller, id, ResourceAccess.EDITOR);
    const data = parseInput(updateInput, withoutNulls(input));
    const chunking = data.chunking
      ? (validateChunkSettings({ ...kb.chunking, ...data.chunking }) as StoredChunkSettings)
      : undefined;
    const chunkingChanged = chunking !== undefined && JSON.stringify(chunking) !== JSON.stringify(kb.chunking);
    const modelChanged = data.embeddingModelId !== undefined && data.embeddingModelId !== kb.embeddingModelId;
    if (data.name !== undefined) kb.name = data.name;
    if (data.description !== undefined) kb.description = data.description;
    if (data.retrieval) kb.retrieval = { ...kb.retrieval, ...data.retrieval } as StoredRetrievalSettings;
    if (chunking) kb.chunking = chunking;
    if (modelChanged) {
      await this.deps.vectors.dropCollection(collectionName(kb.id));
      kb.embeddingModelId = data.embeddingModelId!;
      kb.dimensions = null;
      await em.nativeUpdate(KnowledgeChunk, { knowledgeBaseId: kb.id }, { embedded: false });
    }
    if (chunkingChanged || modelChanged) {
      kb.settingsVersion += 1;
      // Chunking changes re-parse; a model change alone only re-embeds (the EMBEDDING stage of the same chunks).
      await em.nativeUpdate(
        KnowledgeDocument,
        { knowledgeBase: kb.id, status: { $ne: DocumentStatus.FAILED } },
        chunkingChanged
          ? { status: DocumentStatus.QUEUED, progress: 0, updatedAt: new Date() }
          : {
              status: DocumentStatus.EMBEDDING,
              indexedVersion: kb.settingsVersion,
              progress: 0,
              updatedAt: new Date(),
            },
      );
    }
    kb.updatedAt = new Date();
    await em.flush();
    if (chunkingChanged || modelChanged) this.deps.ingestion.kick();
    return kb;
  }

  /** Deletes the knowledge base, its documents, chunks, vectors, stored files and shares (owners and admins). */
  async delete(em: EntityManager, caller: Caller, id: string): Promise<boolean> {
    const kb = await this.get(em, caller, id, ResourceAccess.OWNER);
    const keys = (await em.find(KnowledgeDocument, { knowledgeBase: kb.id }, { fields: ["objectKey"] }))
      .map((d) => d.objectKey)
      .filter((k): k is string => Boolean(k));
    // The rows go together or not at all; the vectors and files follow once they are gone (a leftover there is
    // unreachable, where a half-deleted knowledge base would still be listed).
    await em.transactional(async (tx) => {
      await tx.nativeDelete(KnowledgeChunk, { knowledgeBaseId: kb.id });
      await tx.nativeDelete(KnowledgeDocument, { knowledgeBase: kb.id });
      await tx.nativeDelete(KnowledgeBase, { id: kb.id });
      await this.deps.sharing.removeAll(tx, KNOWLEDGE_BASE, kb.id);
    });
    await this.deps.vectors
      .dropCollection(collectionName(kb.id))
      .catch((err: unknown) =>
        this.deps.logger.warn({ err, knowledgeBaseId: kb.id }, "could not drop a vector collection"),
      );
    await this.removeObjects(keys);
    return true;
  }

  /**
   * Adds a document from a text, an uploaded file (`storagePath`, the key `createUploadUrl` gave) or a dataset, and
   * queues its ingestion. The raw content is kept in the object store so re-indexing never needs the user again.
   */
  async addDocument(em: EntityManager, caller: Caller, input: AddDocument): Promise<KnowledgeDocument> {
    const data = parseInput(addInput, withoutNulls(input));
    const kb = await this.get(em, caller, data.knowledgeBaseId, ResourceAccess.EDITOR);
    let doc: KnowledgeDocument;
    if (data.text !== undefined) {
      const key = `knowledge/${kb.id}/${randomUUID()}.txt`;
      const info = await this.deps.store.put(key, data.text);
      doc = em.create(KnowledgeDocument, {
        knowledgeBase: kb,
        title: data.title ?? firstLine(data.text),
        source: DocumentSource.TEXT,
        objectKey: key,
        mimeType: "text/markdown",
        bytes: info.size,
        metadata: data.metadata ?? {},
      });
    } else if (data.storagePath !== undefined) {
      const key = data.storagePath;
      try {
        assertObjectKey(key);
      } catch {
        throw badInput("storagePath is not a valid object key", { storagePath: "is not a valid object key" });
      }
      const info = await this.deps.store.stat(key);
      if (!info) {
        throw badInput(`No file exists at storagePath ${key}: upload it first (createUploadUrl)`, {
          storagePath: "no uploaded file has this key",
        });
      }
      const title = data.title ?? key.split("/").pop()!;
      if (!detectFormat(title, data.mimeType) && !detectFormat(key, data.mimeType)) {
        throw badInput(`${title} is not a supported document (txt, md, html, pdf, docx, csv, json)`, {
          storagePath: "unsupported file type",
        });
      }
      doc = em.create(KnowledgeDocument, {
        knowledgeBase: kb,
        title,
        source: DocumentSource.UPLOAD,
        objectKey: key,
        mimeType: data.mimeType ?? null,
        bytes: info.size,
        metadata: data.metadata ?? {},
      });
    } else {
      doc = em.create(KnowledgeDocument, {
        knowledgeBase: kb,
        title: data.title ?? `Dataset ${data.datasetId}`,
        source: DocumentSource.DATASET,
        datasetId: data.datasetId!,
        rowTemplate: data.textTemplate ?? null,
        metadata: data.metadata ?? {},
      });
    }
    kb.updatedAt = new Date();
    await em.flush();
    this.deps.ingestion.kick();
    await this.deps.ingestion.publish(doc.id);
    return doc;
  }

  async documents(
    em: EntityManager,
    kb: KnowledgeBase,
    args: { first?: number | null; after?: string | null; status?: DocumentStatus | null },
  ): Promise<Page<KnowledgeDocument>> {
    const window = pageWindow(args);
    const [items, total] = await em.findAndCount(
      KnowledgeDocument,
      { knowledgeBase: kb.id, ...(args.status ? { status: args.status } : {}) },
      { orderBy: { createdAt: "desc", id: "asc" }, limit: window.limit, offset: window.offset },
    );
    return toPage(items, window.offset, total);
  }

  /** Document `id` when the caller may see its knowledge base (admins: any), else null. */
  async findDocument(em: EntityManager, caller: Caller, id: string): Promise<KnowledgeDocument | null> {
    return (await this.findDocuments(em, caller, [id]))[0]!;
  }

  /** Documents by id in one query (DataLoader batch for `Citation.document`); null where the caller may not see. */
  async findDocuments(
    em: EntityManager,
    caller: Caller,
    ids: readonly string[],
  ): Promise<(KnowledgeDocument | null)[]> {
    if (!caller.userId) return ids.map(() => null);
    const scope = (await this.reachableWhere(em, caller)) as object;
    const rows = await em.find(KnowledgeDocument, whereThrough({ id: { $in: [...ids] } }, "knowledgeBase", scope));
    return ids.map((id) => rows.find((row) => row.id === id) ?? null);
  }

  /**
   * Document `id` when the caller may do what `needed` allows with its knowledge base: NOT_FOUND when they may
   * not see it, FORBIDDEN when they may see it but not this.
   */
  async getDocument(
    em: EntityManager,
    caller: Caller,
    id: string,
    needed = ResourceAccess.VIEWER,
  ): Promise<KnowledgeDocument> {
    requireUser(caller);
    const doc = await em.findOne(KnowledgeDocument, { id }, { populate: ["knowledgeBase"] });
    if (!doc) throw notFound("Document", id);
    await this.deps.sharing.require(em, caller, KNOWLEDGE_BASE, doc.knowledgeBase, needed, id, "Document");
    return doc;
  }

  /** Deletes a document with its chunks, vectors and stored file. */
  async deleteDocument(em: EntityManager, caller: Caller, id: string): Promise<boolean> {
    const doc = await this.getDocument(em, caller, id, ResourceAccess.EDITOR);
    const kbId = doc.knowledgeBase.id;
    await this.deps.vectors.deleteByDocument(collectionName(kbId), doc.id).catch((err: unknown) => {
      // A document that never got as far as embedding has no collection to delete from.
      if (!(err instanceof AppError && err.code === ErrorCode.NOT_FOUND)) throw err;
    });
    await em.nativeDelete(KnowledgeChunk, { document: doc.id });
    await em.nativeDelete(KnowledgeDocument, { id: doc.id });
    await bumpContentVersion(em, kbId);
    if (doc.objectKey) await this.removeObjects([doc.objectKey]);
    return true;
  }

  /** Runs a FAILED (or any) document's ingestion again from its stored content. */
  async reindexDocument(em: EntityManager, caller: Caller, id: string): Promise<KnowledgeDocument> {
    const doc = await this.getDocument(em, caller, id, ResourceAccess.EDITOR);
    doc.status = DocumentStatus.QUEUED;
    doc.progress = 0;
    doc.error = null;
    doc.updatedAt = new Date();
    await em.flush();
    this.deps.ingestion.kick();
    await this.deps.ingestion.publish(doc.id);
    return doc;
  }

  /** The chunk browser: a document's chunks in order. */
  async chunks(
    em: EntityManager,
    doc: KnowledgeDocument,
    args: { first?: number | null; after?: string | null },
  ): Promise<Page<KnowledgeChunk>> {
    const window = pageWindow(args);
    const [items, total] = await em.findAndCount(
      KnowledgeChunk,
      { document: doc.id },
      { orderBy: { position: "asc" }, limit: window.limit, offset: window.offset },
    );
    return toPage(items, window.offset, total);
  }

  /**
   * Edits a chunk's text or turns it on or off. New text is embedded again before this returns, so the next
   * search already finds it by its new words and meaning.
   */
  async updateChunk(
    em: EntityManager,
    caller: Caller,
    id: string,
    input: { content?: string | null; enabled?: boolean | null },
  ): Promise<KnowledgeChunk> {
    requireUser(caller);
    const chunk = await em.findOne(KnowledgeChunk, { id }, { populate: ["document", "document.knowledgeBase"] });
    if (!chunk) throw notFound("Chunk", id);
    const kb = chunk.document.knowledgeBase;
    await this.deps.sharing.require(em, caller, KNOWLEDGE_BASE, kb, ResourceAccess.EDITOR, id, "Chunk");
    const content = input.content?.trim();
    if (input.content !== undefined && input.content !== null && !content) {
      throw badInput("A chunk's text must not be empty", { content: "must not be empty" });
    }
    if (content && content.length > 20_000) {
      throw badInput("A chunk's text must be at most 20000 characters", {
        content: "must be at most 20000 characters",
      });
    }
    if (content && content !== chunk.content) {
      const [vector] = await this.deps.embedder.embed(kb.embeddingModelId, [content], caller);
      await this.deps.vectors.ensureCollection(collectionName(kb.id), vector!.length);
      await this.deps.vectors.upsert(collectionName(kb.id), [
        { id: chunk.id, documentId: chunk.document.id, vector: vector! },
      ]);
      chunk.content = content;
      chunk.edited = true;
      chunk.embedded = true;
    }
    if (typeof input.enabled === "boolean") chunk.enabled = input.enabled;
    chunk.updatedAt = new Date();
    await em.flush();
    await bumpContentVersion(em, kb.id);
    return chunk;
  }

  private async removeObjects(keys: string[]): Promise<void> {
    // Only files this subgraph wrote (texts): an uploaded file may also back a dataset, and is the user's to delete.
    for (const key of keys.filter((k) => k.startsWith("knowledge/"))) {
      await this.deps.store
        .delete(key)
        .catch((err: unknown) => this.deps.logger.warn({ err, key }, "could not delete a document's file"));
    }
  }
}

function firstLine(text: string): string {
  const line = text
    .trim()
    .split("\n")[0]!
    .replace(/^#+\s*/, "")
    .trim();
  return (line.length > 80 ? `${line.slice(0, 77)}…` : line) || "Text";
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
