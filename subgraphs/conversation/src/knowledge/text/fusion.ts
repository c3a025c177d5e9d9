/** One fused result: `ranks[i]` is its 1-based rank in input list i, or null when that list did not return it. */
export interface FusedResult {
  id: string;
  score: number;
  ranks: (number | null)[];
}

/**
 * Reciprocal rank fusion: merges ranked lists (keyword and vector search) without comparing their scores, which
 * are on different scales. Each list adds `1 / (k + rank)` for every id it holds.
 *
 * @remarks
 * `k` damps the weight of the very top ranks; 60 is the value from the original paper (Cormack et al., 2009).
 * An id listed twice in one list counts once, at its best rank. Ties are broken by the best single rank, then by
 * first appearance, so the order is deterministic.
 * @defaultValue k = 60
 * @example
 * reciprocalRankFusion([[{ id: "a" }, { id: "b" }], [{ id: "b" }]])
 * // [{ id: "b", score: 1/62 + 1/61, ranks: [2, 1] }, { id: "a", score: 1/61, ranks: [1, null] }]
 */
export function reciprocalRankFusion(lists: { id: string }[][], k = 60): FusedResult[] {
  const fused = new Map<string, FusedResult & { best: number; order: number }>();
  lists.forEach((list, listIndex) => {
    list.forEach(({ id }, position) => {
      let entry = fused.get(id);
      if (!entry) {
        entry = { id, score: 0, ranks: lists.map(() => null), best: Infinity, order: fused.size };
        fused.set(id, entry);
      }
      if (entry.ranks[listIndex] !== null) return;
      const rank = position + 1;
      entry.ranks[listIndex] = rank;
      entry.score += 1 / (k + rank);
      entry.best = Math.min(entry.best, rank);
    });
  });
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.best - b.best || a.order - b.order)
    .map(({ id, score, ranks }) => ({ id, score, ranks }));
}
