import type { EntityManager, MikroORM } from "@mikro-orm/core";
import { quickRows, serviceCaller, upstreamUnavailable, type Caller, type Logger } from "@ods/kit";
import type OpenAI from "openai";
import {
  DocumentStatus,
  KnowledgeBase,
  KnowledgeChunk,
  KnowledgeDocument,
  type StoredRetrievalSettings,
} from "../entities/index.js";
import type { Embedder } from "./embedder.js";
import { collectionName } from "./events.js";
import { reciprocalRankFusion } from "./text/fusion.js";
import { KeywordIndex } from "./text/keyword-index.js";
import type { VectorStore } from "./vectors/vector-store.js";

export type RetrievalMode = "VECTOR" | "KEYWORD" | "HYBRID";

/** What a search asks for; anything unset comes from the knowledge base's own retrieval settings. */
export interface RetrievalRequest {
  query: string;
  mode?: RetrievalMode;
  topK?: number;
  scoreThreshold?: number | null;
  rerankModel?: string | null;
  /** Only these documents. */
  documentIds?: string[] | null;
  /** Only documents whose metadata has these values (equality on each key). */
  metadata?: Record<string, unknown> | null;
}

/** Why a chunk was recalled: each retriever's score and rank (null when that retriever did not find it). */
export interface RetrievalScores {
  vector: number | null;
  vectorRank: number | null;
  keyword: number | null;
  keywordRank: number | null;
  fused: number | null;
  rerank: number | null;
}

export interface RetrievedChunkData {
  chunk: KnowledgeChunk;
  document: KnowledgeDocument;
  knowledgeBaseId: string;
  /** The score results are ordered and thresholded by (see {@link RetrievalService.search}). */
  score: number;
  scores: RetrievalScores;
}

/** The reciprocal-rank-fusion constant (the value of the original paper, used by most engines). */
const RRF_K = 60;
/** Each retriever fetches this many times `topK`, so fusion and filters have candidates to work with. */
const CANDIDATE_FACTOR = 4;
const MAX_CANDIDATES = 200;
/** A knowledge base's keyword index, the content version it reflects, and each chunk's `updatedAt` in it. */
interface CachedKeywordIndex {
  version: number;
  index: KeywordIndex;
  stamps: Map<string, number>;
  /** When the last refresh began (ms). */
  readAt: number;
}

/** How long before the last refresh a chunk's change may be hidden by its stamp (see refreshKeywordIndex). */
const RECENT_MS = 5_000;

/** In HYBRID mode a keyword hit takes part in the fusion only when it scores at least this share of the best one. */
const KEYWORD_VOTE_SHARE = 0.2;

/**
 * Searches knowledge bases: vector (the embedding model and the vector store), keyword (BM25 with CJK-aware
 * tokens, held in memory per knowledge base) and hybrid (reciprocal rank fusion of both), then an optional rerank
 * model, a score threshold and top-k.
 *
 * @remarks `score` means, by mode: VECTOR — cosine similarity; KEYWORD — BM25 relative to the best hit (1 = best);
 * HYBRID — the fused score relative to a chunk ranked first by both retrievers (1). A rerank model's relevance
 * replaces it when one is used. The keyword index is brought up to date when the knowledge base's `contentVersion`
 * moved, which every replica sees in the database, so an index never serves chunks that were deleted or disabled.
 */
export class RetrievalService {
  private readonly keywordIndexes = new Map<string, CachedKeywordIndex>();
  private readonly refreshing = new Map<string, Promise<KeywordIndex>>();

  constructor(
    private readonly options: {
      orm: MikroORM;
      vectors: VectorStore;
      embedder: Embedder;
      modelClient: (caller: Caller) => Promise<OpenAI>;
      logger: Logger;
    },
  ) {}

  /** Searches one knowledge base (already checked to be the caller's). */
  async search(
    em: EntityManager,
    caller: Caller,
    kb: KnowledgeBase,
    request: RetrievalRequest,
    signal?: AbortSignal,
  ): Promise<RetrievedChunkData[]> {
    const settings = { ...kb.retrieval, ...definedOnly(request) } as StoredRetrievalSettings & RetrievalRequest;
    const mode = settings.mode ?? "HYBRID";
    const topK = settings.topK ?? 5;
    const candidates = Math.min(MAX_CANDIDATES, topK * CANDIDATE_FACTOR);

    const documents = await em.find(KnowledgeDocument, {
      knowledgeBase: kb.id,
      status: DocumentStatus.READY,
      ...(request.documentIds?.length ? { id: { $in: request.documentIds } } : {}),
    });
    const allowed = new Map(
      documents.filter((d) => matchesMetadata(d.metadata, request.metadata)).map((d) => [d.id, d] as const),
    );
    if (allowed.size === 0) return [];
    // A filter narrower than the whole knowledge base is passed down; otherwise the stores search everything.
    const filter = allowed.size < documents.length || request.documentIds?.length ? [...allowed.keys()] : undefined;

    const [vectorHits, keywordHits] = await Promise.all([
      mode === "KEYWORD" ? [] : this.vectorSearch(caller, kb, request.query, candidates, filter, signal),
      mode === "VECTOR" ? [] : this.keywordSearch(em, kb, request.query, candidates, filter),
    ]);

    const ids = [...new Set([...vectorHits.map((h) => h.id), ...keywordHits.map((h) => h.id)])];
    if (ids.length === 0) return [];
    const chunks = new Map(
      (await em.find(KnowledgeChunk, { id: { $in: ids }, enabled: true })).map((c) => [c.id, c] as const),
    );
    const usable = <T extends { id: string }>(hits: T[]) =>
      hits.filter((h) => chunks.has(h.id) && allowed.has(chunks.get(h.id)!.document.id));
    const vector = usable(vectorHits);
    const keyword = usable(keywordHits);

    const scores = new Map<string, RetrievalScores>();
    const entry = (id: string) => {
      let s = scores.get(id);
      if (!s)
        scores.set(
          id,
          (s = { vector: null, vectorRank: null, keyword: null, keywordRank: null, fused: null, rerank: null }),
        );
      return s;
    };
    vector.forEach((h, i) => Object.assign(entry(h.id), { vector: h.score, vectorRank: i + 1 }));
    keyword.forEach((h, i) => Object.assign(entry(h.id), { keyword: h.score, keywordRank: i + 1 }));

    let ranked: { id: string; score: number }[];
    if (mode === "VECTOR") {
      ranked = vector.map((h) => ({ id: h.id, score: h.score }));
    } else if (mode === "KEYWORD") {
      const best = keyword[0]?.score || 1;
      ranked = keyword.map((h) => ({ id: h.id, score: h.score / best }));
    } else {
      // Words every chunk shares give every chunk a sliver of BM25; fused by rank alone, those slivers would
      // outvote a rare exact match (a product code) that the vectors cannot see. Only real keyword matches vote.
      const best = keyword[0]?.score ?? 0;
      const voting = keyword.filter((h) => h.score >= best * KEYWORD_VOTE_SHARE);
      const perfect = 2 / (RRF_K + 1);
      ranked = reciprocalRankFusion([vector, voting], RRF_K).map((f) => {
        entry(f.id).fused = f.score;
        return { id: f.id, score: f.score / perfect };
      });
    }

    if (settings.rerankModel && ranked.length > 0) {
      ranked = await this.rerank(caller, settings.rerankModel, request.query, ranked, chunks, signal);
      for (const r of ranked) entry(r.id).rerank = r.score;
    }
    const threshold = settings.scoreThreshold ?? null;
    return ranked
      .filter((r) => threshold === null || r.score >= threshold)
      .slice(0, topK)
      .map((r) => {
        const chunk = chunks.get(r.id)!;
        return {
          chunk,
          document: allowed.get(chunk.document.id)!,
          knowledgeBaseId: kb.id,
          score: r.score,
          scores: entry(r.id),
        };
      });
  }

  private async vectorSearch(
    caller: Caller,
    kb: KnowledgeBase,
    query: string,
    topK: number,
    documentIds: string[] | undefined,
    signal?: AbortSignal,
  ) {
    if (!kb.dimensions) return []; // nothing embedded yet
    const [vector] = await this.options.embedder.embed(kb.embeddingModelId, [query], caller, signal);
    return this.options.vectors.search(collectionName(kb.id), vector!, { topK, documentIds });
  }

  private async keywordSearch(
    em: EntityManager,
    kb: KnowledgeBase,
    query: string,
    topK: number,
    documentIds: string[] | undefined,
  ) {
    const index = await this.keywordIndex(em, kb);
    return index.search(query, { topK, documentIds });
  }

  /**
   * The knowledge base's BM25 index, brought up to date when its content changed since it was last read: only
   * the chunks that are new, changed (their `updatedAt` moved) or gone are added or removed, so a search during a
   * long ingestion does not index the whole knowledge base again for every document that finished. One refresh at
   * a time per knowledge base; a search that comes meanwhile waits for it.
   */
  private async keywordIndex(em: EntityManager, kb: KnowledgeBase): Promise<KeywordIndex> {
    const cached = this.keywordIndexes.get(kb.id);
    if (cached && cached.version >= kb.contentVersion) return cached.index;
    let refreshing = this.refreshing.get(kb.id);
    if (!refreshing) {
      const refresh: Promise<KeywordIndex> = this.refreshKeywordIndex(em, kb, cached).finally(() => {
        // Only its own entry: after `forget`, a later refresh may have taken the place, and two at once would
        // change one index together.
        if (this.refreshing.get(kb.id) === refresh) this.refreshing.delete(kb.id);
      });
      this.refreshing.set(kb.id, (refreshing = refresh));
    }
    return refreshing;
  }

  private async refreshKeywordIndex(em: EntityManager, kb: KnowledgeBase, cached?: CachedKeywordIndex) {
    // The version as this request read it, before the rows: the rows are at least that new, so a change after it
    // makes the next search refresh again.
    const version = kb.contentVersion;
    const startedAt = Date.now();
    const entry = cached ?? { version: -1, index: new KeywordIndex(), stamps: new Map<string, number>(), readAt: 0 };
    // A change in the same tick of the column's clock as the one before leaves `updatedAt` as it was (MariaDB keeps
    // whole seconds), and replicas' clocks differ a little: a chunk stamped less than `RECENT_MS` before the last
    // refresh began, or since, is read again whatever its stamp says.
    const recent = entry.readAt - RECENT_MS;
    // Every searchable chunk's id, document and last change, without its text.
    const rows = await quickRows(em, KnowledgeChunk, (q, sub) =>
      q
        .select("id", "document_id", "updated_at")
        .where({ knowledge_base_id: kb.id, enabled: true })
        .whereIn(
          "document_id",
          sub(KnowledgeDocument).select("id").where({ knowledge_base_id: kb.id, status: DocumentStatus.READY }),
        ),
    );
    const present = new Set<string>();
    const changed = new Map<string, number>();
    for (const row of rows) {
      const id = row.id as string;
      present.add(id);
      const stamp = new Date(row.updated_at as number | string | Date).getTime();
      if (entry.stamps.get(id) !== stamp || !(stamp < recent)) changed.set(id, stamp);
    }
    const gone = [...entry.stamps.keys()].filter((id) => !present.has(id));
    entry.index.remove(gone);
    for (const id of gone) entry.stamps.delete(id);
    // A chunk counts as indexed once its text is in: a refresh that fails halfway is taken up by the next one.
    const ids = [...changed.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const page = await quickRows(em, KnowledgeChunk, (q) =>
        q.select("id", "document_id", "content").whereIn("id", ids.slice(i, i + 500)),
      );
      entry.index.add(
        page.map((c) => ({ id: c.id as string, documentId: c.document_id as string, text: c.content as string })),
      );
      for (const c of page) entry.stamps.set(c.id as string, changed.get(c.id as string)!);
    }
    // Inside the refresh, so that no other one adds to the index while its term index is swept.
    await entry.index.compact();
    entry.version = version;
    entry.readAt = startedAt;
    this.keywordIndexes.set(kb.id, entry);
    return entry.index;
  }

  /** Reorders candidates by a rerank model (`POST /v1/rerank`, the Jina/TEI shape). */
  private async rerank(
    caller: Caller,
    model: string,
    query: string,
    ranked: { id: string; score: number }[],
    chunks: Map<string, KnowledgeChunk>,
    signal?: AbortSignal,
  ): Promise<{ id: string; score: number }[]> {
    const client = await this.options.modelClient(serviceCaller("conversation", caller));
    let results: { index: number; relevance_score: number }[];
    try {
      const answer = await client.post<{ results: { index: number; relevance_score: number }[] }>("/rerank", {
        body: { model, query, documents: ranked.map((r) => chunks.get(r.id)!.content) },
        signal,
      });
      results = answer.results;
    } catch (err) {
      throw upstreamUnavailable(`The rerank model ${model} failed: ${(err as Error).message}`);
    }
    return results
      .filter((r) => ranked[r.index])
      .map((r) => ({ id: ranked[r.index]!.id, score: r.relevance_score }))
      .sort((a, b) => b.score - a.score);
  }

  /** Forgets a knowledge base's keyword index (it was deleted). */
  forget(knowledgeBaseId: string): void {
    this.keywordIndexes.delete(knowledgeBaseId);
    this.refreshing.delete(knowledgeBaseId);
  }
}

/** The request's settings that are set, so they override the knowledge base's defaults and nothing else. */
function definedOnly(request: RetrievalRequest): Partial<StoredRetrievalSettings> {
  return Object.fromEntries(
    Object.entries({
      mode: request.mode,
      topK: request.topK,
      scoreThreshold: request.scoreThreshold,
      rerankModel: request.rerankModel,
    }).filter(([, v]) => v !== undefined && v !== null),
  );
}

function matchesMetadata(metadata: Record<string, unknown>, wanted?: Record<string, unknown> | null): boolean {
  if (!wanted) return true;
  return Object.entries(wanted).every(([key, value]) => JSON.stringify(metadata?.[key]) === JSON.stringify(value));
}
