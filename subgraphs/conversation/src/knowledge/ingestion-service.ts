import { createHash, randomUUID } from "node:crypto";
import { raw, type EntityManager, type MikroORM } from "@mikro-orm/core";
import {
  type DatasetReader,
  AppError,
  badInput,
  upstreamUnavailable,
  type Caller,
  type Logger,
  type ObjectStore,
  type PubSub,
} from "@ods/kit";
import { DocumentSource, DocumentStatus, KnowledgeBase, KnowledgeChunk, KnowledgeDocument } from "../entities/index.js";
import type { Embedder } from "./embedder.js";
import { collectionName, documentChannel, knowledgeBaseChannel, type DocumentStatusEvent } from "./events.js";
import { chunkText, type ChunkSettings, type TextChunk } from "./text/chunk.js";
import { cleanText } from "./text/clean.js";
import { parseDocument } from "./text/parse.js";
import { defaultRowTemplate, renderTemplate } from "./text/template.js";
import type { VectorStore } from "./vectors/vector-store.js";

export interface IngestionOptions {
  orm: MikroORM;
  pubsub: PubSub;
  store: ObjectStore;
  vectors: VectorStore;
  embedder: Embedder;
  datasets: DatasetReader;
  logger: Logger;
  /** Documents one process ingests at once. */
  concurrency: number;
  /** Chunks per embeddings request. */
  batchSize: number;
  /** True when other replicas share the database: at startup only lapsed leases are taken over. */
  sharedReplicas: boolean;
  /** How long a claim on a document lasts without renewal (ms). @defaultValue `60_000` — 1 min */
  leaseMs?: number;
  /** How often the queue is polled for work other replicas added or gave up (ms). @defaultValue `2_000` */
  pollMs?: number;
}

/** Statuses in which a document still has ingestion work to do. */
const PENDING = [DocumentStatus.QUEUED, DocumentStatus.PARSING, DocumentStatus.EMBEDDING];

/** Most raw bytes a single uploaded document may have for parsing (the text of a 200 MB PDF is plenty). */
const MAX_DOCUMENT_BYTES = 200 * 1024 * 1024;

/** A chunk's id: the same document, settings version and position always give the same id (no duplicates). */
export function chunkId(documentId: string, version: number, position: number): string {
  return createHash("sha256").update(`${documentId}:${version}:${position}`).digest("hex").slice(0, 40);
}

/**
 * Ingests documents: parse → clean → chunk → embed in batches → index, with per-document status, progress events
 * and a lease that makes it a job any replica can pick up and a restarted process resumes.
 *
 * @remarks The stages are idempotent, which is what makes resuming safe. Parsing rewrites all of a document's
 * chunks in one transaction with ids derived from their position; embedding works through the chunks not yet
 * marked `embedded`, upserting by id, and marks them after the vector store acknowledged them. A crash between the
 * two repeats an upsert of the same ids, never adds a chunk twice or skips one.
 */
export class IngestionService {
  private readonly owner = randomUUID();
  private readonly active = new Map<string, AbortController>();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private again = false;
  private closed = false;
  private firstPoll = true;
  private readonly finished = new Set<Promise<void>>();

  constructor(private readonly options: IngestionOptions) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 2_000;
  }

  /** Starts taking work: first whatever a previous process left unfinished, then new documents as they come. */
  start(): void {
    this.kick();
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
  }

  /** Stops taking work and abandons running ingestions where they stand (the next start resumes them). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const controller of this.active.values()) controller.abort();
    await this.polling;
    await Promise.allSettled([...this.finished]);
  }

  /** Looks for work now (called when a document is added). */
  kick(): void {
    if (this.closed) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = this.poll()
      .catch((err: unknown) => this.options.logger.warn({ err }, "could not poll the ingestion queue"))
      .finally(() => {
        this.polling = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** True while this process ingests `documentId` (tests and shutdown). */
  isRunning(documentId: string): boolean {
    return this.active.has(documentId);
  }

  /** Waits until no document is running or queued here (tests). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.active.size > 0 || this.polling) {
      if (Date.now() > deadline) throw new Error("ingestion did not become idle");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async poll(): Promise<void> {
    const free = this.options.concurrency - this.active.size;
    if (free <= 0) return;
    const em = this.options.orm.em.fork();
    const now = new Date();
    // Alone on the database (embedded profile), every lease at startup was held by a process that is gone.
    const ignoreLeases = this.firstPoll && !this.options.sharedReplicas;
    this.firstPoll = false;
    const candidates = await em.find(
      KnowledgeDocument,
      {
        status: { $in: PENDING },
        id: { $nin: [...this.active.keys()] },
        ...(ignoreLeases ? {} : { $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }] }),
      },
      { orderBy: { createdAt: "asc" }, limit: free * 4, fields: ["id", "leaseUntil", "leaseOwner"] },
    );
    for (const candidate of candidates) {
      if (this.active.size >= this.options.concurrency || this.closed) break;
      // The claim: a conditional update that only one replica can win.
      const claimed = await em.nativeUpdate(
        KnowledgeDocument,
        { id: candidate.id, leaseOwner: candidate.leaseOwner ?? null, leaseUntil: candidate.leaseUntil ?? null },
        { leaseOwner: this.owner, leaseUntil: new Date(Date.now() + this.leaseMs) },
      );
      if (claimed !== 1) continue;
      const controller = new AbortController();
      this.active.set(candidate.id, controller);
      const run = this.ingest(candidate.id, controller.signal)
        .catch((err: unknown) => this.options.logger.error({ err, documentId: candidate.id }, "ingestion crashed"))
        .finally(() => {
          this.active.delete(candidate.id);
          this.finished.delete(run);
          this.kick();
        });
      this.finished.add(run);
    }
  }

  private async ingest(documentId: string, signal: AbortSignal): Promise<void> {
    const { orm, logger } = this.options;
    const renew = setInterval(() => {
      orm.em
        .fork()
        .nativeUpdate(
          KnowledgeDocument,
          { id: documentId, leaseOwner: this.owner },
          { leaseUntil: new Date(Date.now() + this.leaseMs) },
        )
        .catch((err: unknown) => logger.warn({ err, documentId }, "could not renew an ingestion lease"));
    }, this.leaseMs / 3);
    try {
      const em = orm.em.fork();
      const doc = await em.findOne(KnowledgeDocument, { id: documentId }, { populate: ["knowledgeBase"] });
      if (!doc || !PENDING.includes(doc.status)) return;
      const kb = doc.knowledgeBase;
      const caller: Caller = { userId: kb.ownerId, roles: [] };
      // Chunks from an older settings version (or a parse that died half-way) are rebuilt from the raw content.
      if (doc.status !== DocumentStatus.EMBEDDING || doc.indexedVersion !== kb.settingsVersion) {
        await this.parse(doc, kb, caller, signal);
      }
      if (signal.aborted) return;
      await this.embed(documentId, kb, caller, signal);
    } catch (err) {
      if (signal.aborted) return; // shutting down: the next start resumes from the stored stage
      const reason = err instanceof AppError ? err.message : `Ingestion failed: ${(err as Error)?.message ?? err}`;
      if (!(err instanceof AppError)) logger.warn({ err, documentId }, "ingestion failed");
      await this.update(documentId, { status: DocumentStatus.FAILED, error: reason, progress: 0 });
    } finally {
      clearInterval(renew);
      await orm.em
        .fork()
        .nativeUpdate(
          KnowledgeDocument,
          { id: documentId, leaseOwner: this.owner },
          { leaseOwner: null, leaseUntil: null },
        )
        .catch(() => undefined);
    }
  }

  /** PARSING: raw content → clean text → chunks, all of the document's chunks replaced in one transaction. */
  private async parse(doc: KnowledgeDocument, kb: KnowledgeBase, caller: Caller, signal: AbortSignal): Promise<void> {
    await this.update(doc.id, { status: DocumentStatus.PARSING, progress: 0, error: null, attempts: doc.attempts + 1 });
    const settings = kb.chunking as ChunkSettings;
    const version = kb.settingsVersion;
    let chunks: TextChunk[];
    let format: string | null = doc.format ?? null;
    if (doc.source === DocumentSource.DATASET) {
      chunks = [];
      const template = doc.rowTemplate ?? null;
      let row = 0;
      for await (const record of this.options.datasets.rows(doc.datasetId!, caller, { signal })) {
        const text = cleanText(renderTemplate(template ?? defaultRowTemplate(Object.keys(record)), record));
        // Rows are documents of their own: chunked one by one, positions continuing across rows.
        for (const piece of chunkText(text, settings)) {
          chunks.push({ ...piece, index: chunks.length, heading: piece.heading ?? `row ${row + 1}` });
        }
        row++;
        if (row % 1000 === 0) await this.update(doc.id, { progress: 0 }); // keeps subscribers and the lease warm
      }
      format = "dataset";
    } else {
      const bytes = await this.readObject(doc.objectKey!);
      const parsed = await parseDocument({ bytes, filename: doc.title, mimeType: doc.mimeType });
      format = parsed.format;
      chunks = chunkText(cleanText(parsed.text), settings);
    }
    if (signal.aborted) return;
    if (chunks.length === 0) throw badInput("The document has no text to index");

    const em = this.options.orm.em.fork();
    await this.options.vectors.deleteByDocument(collectionName(kb.id), doc.id).catch(() => undefined);
    await em.transactional(async (tx) => {
      await tx.nativeDelete(KnowledgeChunk, { document: doc.id });
      const now = new Date();
      const rows = chunks.map((chunk) =>
        tx.create(KnowledgeChunk, {
          id: chunkId(doc.id, version, chunk.index),
          document: doc.id,
          knowledgeBaseId: kb.id,
          position: chunk.index,
          content: chunk.content,
          start: chunk.start,
          end: chunk.end,
          heading: chunk.heading?.slice(0, 500) ?? null,
          parentContent: chunk.parent?.content ?? null,
          createdAt: now,
          updatedAt: now,
        }),
      );
      for (let i = 0; i < rows.length; i += 500) {
        await tx.insertMany(KnowledgeChunk, rows.slice(i, i + 500));
      }
      await tx.nativeUpdate(
        KnowledgeDocument,
        { id: doc.id },
        {
          status: DocumentStatus.EMBEDDING,
          format,
          chunkCount: chunks.length,
          indexedVersion: version,
          progress: 0,
          updatedAt: now,
        },
      );
    });
    await this.publish(doc.id);
  }

  /** EMBEDDING: every chunk not yet in the vector store, in batches, then READY. */
  private async embed(documentId: string, kb: KnowledgeBase, caller: Caller, signal: AbortSignal): Promise<void> {
    const { orm, vectors, embedder, batchSize } = this.options;
    const collection = collectionName(kb.id);
    const em = orm.em.fork();
    const total = await em.count(KnowledgeChunk, { document: documentId });
    let done = await em.count(KnowledgeChunk, { document: documentId, embedded: true });
    for (;;) {
      if (signal.aborted) return;
      const batch = await orm.em
        .fork()
        .find(
          KnowledgeChunk,
          { document: documentId, embedded: false },
          { orderBy: { position: "asc" }, limit: batchSize, fields: ["id", "content"] },
        );
      if (batch.length === 0) break;
      const vectorsOf = await embedder.embed(
        kb.embeddingModelId,
        batch.map((c) => c.content),
        caller,
        signal,
      );
      const dimensions = vectorsOf[0]!.length;
      await this.ensureCollection(kb, dimensions);
      await vectors.upsert(
        collection,
        batch.map((c, i) => ({ id: c.id, documentId, vector: vectorsOf[i]! })),
      );
      await orm.em.fork().nativeUpdate(KnowledgeChunk, { id: { $in: batch.map((c) => c.id) } }, { embedded: true });
      done += batch.length;
      await this.update(documentId, { progress: total ? done / total : 1 });
    }
    if (signal.aborted) return;
    await this.update(documentId, { status: DocumentStatus.READY, progress: 1, error: null });
    await bumpContentVersion(orm.em.fork(), kb.id);
  }

  /** Creates the knowledge base's collection on first use, learning the model's vector length. */
  private async ensureCollection(kb: KnowledgeBase, dimensions: number): Promise<void> {
    if (kb.dimensions && kb.dimensions !== dimensions) {
      throw upstreamUnavailable(
        `The embedding model ${kb.embeddingModelId} answered ${dimensions} dimensions; this knowledge base holds ${kb.dimensions}`,
      );
    }
    await this.options.vectors.ensureCollection(collectionName(kb.id), dimensions);
    if (!kb.dimensions) {
      kb.dimensions = dimensions;
      await this.options.orm.em.fork().nativeUpdate(KnowledgeBase, { id: kb.id }, { dimensions });
    }
  }

  private async readObject(key: string): Promise<Uint8Array> {
    const info = await this.options.store.stat(key);
    if (!info) throw badInput(`The uploaded file ${key} is gone from storage`);
    if (info.size > MAX_DOCUMENT_BYTES) {
      throw badInput(`The file is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    }
    const parts: Buffer[] = [];
    for await (const part of await this.options.store.get(key)) parts.push(part as Buffer);
    return new Uint8Array(Buffer.concat(parts));
  }

  /** Writes `changes` to the document row and tells its subscribers. */
  private async update(documentId: string, changes: Partial<KnowledgeDocument>): Promise<void> {
    await this.options.orm.em
      .fork()
      .nativeUpdate(KnowledgeDocument, { id: documentId }, { ...changes, updatedAt: new Date() });
    await this.publish(documentId);
  }

  /** Publishes the document's current state on its own channel and its knowledge base's. */
  async publish(documentId: string): Promise<void> {
    const doc = await this.options.orm.em.fork().findOne(KnowledgeDocument, { id: documentId });
    if (!doc) return;
    const event: DocumentStatusEvent = {
      documentId,
      knowledgeBaseId: doc.knowledgeBase.id,
      status: doc.status,
      progress: doc.progress,
      chunkCount: doc.chunkCount,
      error: doc.error ?? null,
    };
    await Promise.all([
      this.options.pubsub.publish(documentChannel(documentId), event),
      this.options.pubsub.publish(knowledgeBaseChannel(event.knowledgeBaseId), event),
    ]).catch((err: unknown) => this.options.logger.warn({ err, documentId }, "could not publish a document status"));
  }
}

/** Tells every replica that the searchable chunks of a knowledge base changed (their keyword index is stale). */
export async function bumpContentVersion(em: EntityManager, knowledgeBaseId: string): Promise<void> {
  await em.nativeUpdate(KnowledgeBase, { id: knowledgeBaseId }, { contentVersion: raw("content_version + 1") });
}
