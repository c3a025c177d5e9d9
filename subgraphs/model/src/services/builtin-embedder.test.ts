import { describe, expect, it } from "vitest";
import { BUILTIN_EMBEDDING_DIMENSIONS, cosineSimilarity, embedText } from "./builtin-embedder.js";

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe("embedText", () => {
  it("returns 384 unit-length dimensions, deterministically", () => {
    const v = embedText("Datasets live in object storage.");
    expect(v).toHaveLength(BUILTIN_EMBEDDING_DIMENSIONS);
    expect(norm(v)).toBeCloseTo(1, 10);
    expect(embedText("Datasets live in object storage.")).toEqual(v);
  });

  it("gives similar texts a higher cosine similarity than unrelated ones", () => {
    const query = embedText("How do I upload a CSV dataset?");
    const similar = embedText("Uploading a CSV file creates a new dataset.");
    const unrelated = embedText("The cat sat quietly on the warm windowsill.");
    expect(cosineSimilarity(query, similar)).toBeGreaterThan(cosineSimilarity(query, unrelated));
    expect(cosineSimilarity(query, similar)).toBeGreaterThan(0.2);
  });

  it("works for Chinese text", () => {
    const query = embedText("如何上传数据集？");
    const similar = embedText("上传文件后会创建新的数据集。");
    const unrelated = embedText("今天天气很好，我们去公园散步。");
    expect(norm(query)).toBeCloseTo(1, 10);
    expect(cosineSimilarity(query, similar)).toBeGreaterThan(cosineSimilarity(query, unrelated));
  });

  it("gives text without letters a non-zero vector", () => {
    expect(norm(embedText("?!…"))).toBeCloseTo(1, 10);
  });
});
