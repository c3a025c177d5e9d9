import { describe, expect, it } from "vitest";
import { rerankScore, rerankScores } from "./builtin-reranker.js";

describe("builtin reranker", () => {
  const docs = [
    "Bananas are yellow fruit rich in potassium.",
    "The embedded profile stores its data in SQLite files under .data.",
    "Workflows are built visually from nodes.",
  ];

  it("ranks the document that shares the query's words first", () => {
    const scores = rerankScores("Where does the embedded profile store data?", docs);
    expect(scores.indexOf(Math.max(...scores))).toBe(1);
    for (const s of scores) expect(s).toBeGreaterThanOrEqual(0);
    for (const s of scores) expect(s).toBeLessThanOrEqual(1);
  });

  it("is deterministic and agrees with the one-document form", () => {
    expect(rerankScores("nodes workflow", docs)).toEqual(docs.map((d) => rerankScore("nodes workflow", d)));
  });

  it("scores an identical text at the top of the scale", () => {
    expect(rerankScore("visual workflow builder", "visual workflow builder")).toBeCloseTo(1, 5);
  });
});
