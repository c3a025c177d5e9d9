import type { DocumentStatus, SearchKnowledgeBaseQuery } from "$lib/gql/graphql";

/** Each retriever's part in a search result. */
export type RetrievalScores = SearchKnowledgeBaseQuery["searchKnowledgeBase"][number]["scores"];

/** Status words as the documents table shows them. */
export const STATUS_LABELS: Record<DocumentStatus, string> = {
  QUEUED: "Queued",
  PARSING: "Parsing",
  EMBEDDING: "Embedding",
  READY: "Ready",
  FAILED: "Failed",
};

/** A byte count the way people read it: 812 B, 4.2 KB, 17 MB. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits)).toString();

/**
 * Why a search result came up, in one line: each retriever's score and rank, e.g.
 * "vector 0.82 (#1) · keyword 7.1 (#3) · fused 0.032".
 */
export function whyLine(scores: RetrievalScores): string {
  const parts: string[] = [];
  const rank = (r: number | null) => (r == null ? "" : ` (#${r})`);
  if (scores.vector != null) parts.push(`vector ${round(scores.vector, 2)}${rank(scores.vectorRank)}`);
  if (scores.keyword != null) parts.push(`keyword ${round(scores.keyword, 2)}${rank(scores.keywordRank)}`);
  if (scores.fused != null) parts.push(`fused ${round(scores.fused, 3)}`);
  if (scores.rerank != null) parts.push(`rerank ${round(scores.rerank, 2)}`);
  return parts.join(" · ");
}

/** The chunking settings of a knowledge base in a few words, e.g. "recursive, 500 / 50 characters". */
export function describeChunking(chunking: unknown): string {
  const c = (chunking ?? {}) as { strategy?: unknown; size?: unknown; overlap?: unknown; parentSize?: unknown };
  const strategy = typeof c.strategy === "string" ? c.strategy.replace("_", "-") : "recursive";
  const size = typeof c.size === "number" ? c.size : null;
  const overlap = typeof c.overlap === "number" ? c.overlap : null;
  if (size == null) return strategy;
  const parent = strategy === "parent-child" && typeof c.parentSize === "number" ? `, parents ${c.parentSize}` : "";
  return `${strategy}, ${size} chars${overlap != null ? ` / ${overlap} overlap` : ""}${parent}`;
}
