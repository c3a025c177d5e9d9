import { cosineSimilarity, embedText } from "./builtin-embedder.js";
import { words } from "./text.js";

// The blend: the embedder's cosine catches shared phrasing and inflections (character 3-grams), the overlap
// rewards documents that contain the query's words outright, which is what a reader means by "relevant".
const COSINE_WEIGHT = 0.6;
const OVERLAP_WEIGHT = 0.4;

/**
 * Scores how well `document` answers `query` with the built-in reranker: a blend of the cosine similarity of
 * their `builtin-embedder` vectors (clamped to 0…1) and the share of the query's distinct words that occur in
 * the document. The result lies in 0…1; deterministic, offline, and lexical rather than semantic.
 */
export function rerankScore(query: string, document: string): number {
  return scoreWith(embedText(query), new Set(words(query)), document);
}

/** Scores every document against one query (the query is embedded once). */
export function rerankScores(query: string, documents: readonly string[]): number[] {
  const queryVector = embedText(query);
  const queryWords = new Set(words(query));
  return documents.map((document) => scoreWith(queryVector, queryWords, document));
}

function scoreWith(queryVector: number[], queryWords: Set<string>, document: string): number {
  const cosine = Math.max(0, cosineSimilarity(queryVector, embedText(document)));
  let overlap = 0;
  if (queryWords.size > 0) {
    const documentWords = new Set(words(document));
    let shared = 0;
    for (const word of queryWords) if (documentWords.has(word)) shared++;
    overlap = shared / queryWords.size;
  }
  return COSINE_WEIGHT * cosine + OVERLAP_WEIGHT * overlap;
}
