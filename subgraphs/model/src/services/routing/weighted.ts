/**
 * The order in which to try endpoints: a weighted random permutation (Efraimidis–Spirakis), so the first item is
 * chosen with probability weight / total and the rest follow as failover candidates in weighted order. Weight 0
 * items come last, in their given order: they take traffic only when everything else failed.
 */
export function weightedOrder<T extends { weight: number }>(
  items: readonly T[],
  random: () => number = Math.random,
): T[] {
  return items
    .map((item, index) => {
      // -ln(u) / w is exponentially distributed with rate w: the smallest key wins with probability w / Σw.
      const key = item.weight > 0 ? -Math.log(1 - random()) / item.weight : Number.POSITIVE_INFINITY;
      return { item, index, key };
    })
    .sort((a, b) => a.key - b.key || a.index - b.index)
    .map((entry) => entry.item);
}
