import { describe, expect, it } from "vitest";
import { reciprocalRankFusion } from "./fusion.js";

const ids = (...names: string[]) => names.map((id) => ({ id }));

describe("reciprocalRankFusion", () => {
  it("adds 1/(k + rank) from every list and records each list's rank", () => {
    const fused = reciprocalRankFusion([ids("a", "b", "c"), ids("c", "b")], 60);
    expect(fused.map((f) => f.id)).toEqual(["c", "b", "a"]);
    const byId = Object.fromEntries(fused.map((f) => [f.id, f]));
    expect(byId.c.score).toBeCloseTo(1 / 63 + 1 / 61, 12);
    expect(byId.b.score).toBeCloseTo(1 / 62 + 1 / 62, 12);
    expect(byId.a.score).toBeCloseTo(1 / 61, 12);
    expect(byId.c.ranks).toEqual([3, 1]);
    expect(byId.a.ranks).toEqual([1, null]);
  });

  it("defaults k to 60", () => {
    expect(reciprocalRankFusion([ids("x")])[0].score).toBeCloseTo(1 / 61, 12);
  });

  it("an item found by both lists beats one ranked first by only one", () => {
    const fused = reciprocalRankFusion([ids("only-vector", "both"), ids("only-keyword", "both")]);
    expect(fused[0].id).toBe("both");
  });

  it("counts an id repeated within one list once, at its best rank", () => {
    const [hit] = reciprocalRankFusion([ids("a", "a", "a")], 10);
    expect(hit).toEqual({ id: "a", score: 1 / 11, ranks: [1] });
  });

  it("breaks ties deterministically and handles empty input", () => {
    expect(reciprocalRankFusion([ids("a", "b"), ids("b", "a")]).map((f) => f.id)).toEqual(["a", "b"]);
    expect(reciprocalRankFusion([])).toEqual([]);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
  });
});
