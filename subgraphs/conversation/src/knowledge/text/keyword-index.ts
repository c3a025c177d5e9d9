import MiniSearch, { type Options } from "minisearch";
import { tokenize } from "./tokenize.js";

/** A chunk as the keyword index sees it. */
export interface KeywordDoc {
  /** The chunk's id; adding a doc with an id already present replaces it. */
  id: string;
  /** The document the chunk came from, for filtering and for removing a whole document. */
  documentId: string;
  text: string;
}

export interface KeywordHit {
  id: string;
  documentId: string;
  /** BM25+ score: only comparable between hits of the same query. */
  score: number;
}

/** What {@link KeywordIndex.toJSON} returns and {@link KeywordIndex.fromJSON} takes. */
export interface KeywordIndexSnapshot {
  index: ReturnType<MiniSearch["toJSON"]>;
  docs: [id: string, documentId: string][];
}

/**
 * Exact-term matching: no prefix or fuzzy expansion, because a keyword index is there to find what embeddings
 * blur (product codes, names, numbers), and "XK-2291" must not match "XK-2290" as if it were the same.
 */
const options: Options<KeywordDoc> = {
  fields: ["text"],
  storeFields: ["documentId"],
  tokenize,
  processTerm: (term: string) => term,
  // Vacuuming runs in batches across timers and breaks if a document is added meanwhile (minisearch 7.2 throws
  // from its tree iterator): it is done by `compact()`, between changes, instead.
  autoVacuum: false,
  searchOptions: { tokenize, processTerm: (term: string) => term, prefix: false, fuzzy: false, combineWith: "OR" },
};

/**
 * An in-memory BM25+ keyword index over chunks (minisearch), using {@link tokenize} for both chunks and queries,
 * so Chinese and Japanese text and product codes are found.
 */
export class KeywordIndex {
  private engine: MiniSearch<KeywordDoc>;
  /** documentId → ids of its chunks, so a whole document can be removed without scanning. */
  private readonly byDocument = new Map<string, Set<string>>();
  private readonly documentOf = new Map<string, string>();

  constructor() {
    this.engine = new MiniSearch<KeywordDoc>(options);
  }

  /** Rebuilds an index saved with {@link KeywordIndex.toJSON}. */
  static fromJSON(snapshot: KeywordIndexSnapshot): KeywordIndex {
    const index = new KeywordIndex();
    index.engine = MiniSearch.loadJSON<KeywordDoc>(JSON.stringify(snapshot.index), options);
    for (const [id, documentId] of snapshot.docs) index.track(id, documentId);
    return index;
  }

  /** A plain object that {@link KeywordIndex.fromJSON} turns back into the same index. */
  toJSON(): KeywordIndexSnapshot {
    return { index: this.engine.toJSON(), docs: [...this.documentOf] };
  }

  /** Adds chunks; a chunk whose id is already in the index replaces the old one. */
  add(docs: KeywordDoc[]): void {
    for (const doc of docs) {
      if (this.engine.has(doc.id)) this.remove([doc.id]);
      this.engine.add({ id: doc.id, documentId: doc.documentId, text: doc.text });
      this.track(doc.id, doc.documentId);
    }
  }

  /** Removes chunks by id; unknown ids are ignored. */
  remove(ids: string[]): void {
    for (const id of ids) {
      const documentId = this.documentOf.get(id);
      if (documentId === undefined) continue;
      // discard() needs only the id (remove() would need the original text) and cleans up lazily.
      this.engine.discard(id);
      this.documentOf.delete(id);
      const siblings = this.byDocument.get(documentId)!;
      siblings.delete(id);
      if (siblings.size === 0) this.byDocument.delete(documentId);
    }
  }

  /** Removes every chunk of a document. */
  removeDocument(documentId: string): void {
    this.remove([...(this.byDocument.get(documentId) ?? [])]);
  }

  /**
   * The `topK` best chunks for a query by BM25+, best first, optionally only from some documents.
   * A query with no searchable terms (only punctuation) finds nothing.
   */
  search(query: string, options: { topK: number; documentIds?: string[] }): KeywordHit[] {
    if (options.topK <= 0) return [];
    const only = options.documentIds ? new Set(options.documentIds) : null;
    const results = this.engine.search(query, only ? { filter: (r) => only.has(r.documentId as string) } : {});
    return results
      .slice(0, options.topK)
      .map((r) => ({ id: r.id as string, documentId: r.documentId as string, score: r.score }));
  }

  /**
   * Drops what removed and replaced chunks left in the term index, when that is a tenth or more of it. Adding or
   * removing chunks must wait until it has settled; searching need not.
   */
  async compact(): Promise<void> {
    if (this.engine.dirtCount >= 20 && this.engine.dirtFactor >= 0.1) await this.engine.vacuum();
  }

  /** How many chunks the index holds. */
  get size(): number {
    return this.documentOf.size;
  }

  private track(id: string, documentId: string): void {
    this.documentOf.set(id, documentId);
    let ids = this.byDocument.get(documentId);
    if (!ids) this.byDocument.set(documentId, (ids = new Set()));
    ids.add(id);
  }
}
