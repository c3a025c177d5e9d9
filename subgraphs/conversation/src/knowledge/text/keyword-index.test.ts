import { describe, expect, it } from "vitest";
import { KeywordIndex } from "./keyword-index.js";

const catalogue = () => {
  const index = new KeywordIndex();
  index.add([
    { id: "c1", documentId: "d1", text: "The XK-2290 lamp ships in a blue box. Product code XK-2290." },
    { id: "c2", documentId: "d1", text: "XK series lamps: XK-2200, XK-2300 and XK-2290 share a base." },
    { id: "c3", documentId: "d2", text: "Desk lamp with a dimmer; product code XK-2291; warranty two years." },
    { id: "c4", documentId: "d2", text: "Order number 2291 was delivered on Monday." },
    { id: "c5", documentId: "d3", text: "我们的退货政策：自收到商品之日起七天内可以无理由退货，运费由买家承担。" },
    { id: "c6", documentId: "d3", text: "配送政策：订单在两个工作日内发货，偏远地区可能延迟。" },
    { id: "c7", documentId: "d4", text: "Return policy: items can be returned within seven days." },
  ]);
  return index;
};

describe("KeywordIndex", () => {
  it("ranks the chunk with the exact product code first among near-identical codes", () => {
    const hits = catalogue().search("XK-2291", { topK: 5 });
    expect(hits[0]).toMatchObject({ id: "c3", documentId: "d2" });
    expect(hits[0].score).toBeGreaterThan(hits[1].score);
  });

  it("finds the Chinese chunk for a Chinese query written without spaces", () => {
    const hits = catalogue().search("退货政策", { topK: 3 });
    expect(hits[0].id).toBe("c5");
  });

  it("finds a Chinese chunk from a partial phrase", () => {
    expect(catalogue().search("工作日发货", { topK: 1 })[0].id).toBe("c6");
  });

  it("does not expand prefixes or fuzzy-match", () => {
    expect(catalogue().search("229", { topK: 5 })).toEqual([]);
    expect(catalogue().search("lamb", { topK: 5 })).toEqual([]);
  });

  it("limits results to topK and to the given documents", () => {
    const index = catalogue();
    expect(index.search("lamp", { topK: 1 })).toHaveLength(1);
    const hits = index.search("lamp", { topK: 10, documentIds: ["d2"] });
    expect(hits.map((h) => h.id)).toEqual(["c3"]);
    expect(index.search("lamp", { topK: 10, documentIds: [] })).toEqual([]);
  });

  it("replaces a chunk added again with the same id", () => {
    const index = catalogue();
    index.add([{ id: "c3", documentId: "d2", text: "Now about chairs only." }]);
    expect(index.size).toBe(7);
    expect(index.search("XK-2291", { topK: 5 }).map((h) => h.id)).not.toContain("c3");
    expect(index.search("chairs", { topK: 5 }).map((h) => h.id)).toEqual(["c3"]);
  });

  it("removes chunks by id and whole documents", () => {
    const index = catalogue();
    index.remove(["c5", "missing"]);
    expect(index.size).toBe(6);
    expect(index.search("退货政策", { topK: 5 }).map((h) => h.id)).not.toContain("c5");
    index.removeDocument("d1");
    expect(index.size).toBe(4);
    expect(index.search("XK-2290", { topK: 5 }).map((h) => h.documentId)).not.toContain("d1");
    index.removeDocument("d1");
    expect(index.size).toBe(4);
  });

  it("finds nothing for a query of punctuation", () => {
    expect(catalogue().search("?!", { topK: 5 })).toEqual([]);
  });

  it("survives a JSON round trip with the same results", () => {
    const index = catalogue();
    const copy = KeywordIndex.fromJSON(JSON.parse(JSON.stringify(index.toJSON())));
    expect(copy.size).toBe(index.size);
    expect(copy.search("XK-2291", { topK: 3 })).toEqual(index.search("XK-2291", { topK: 3 }));
    copy.removeDocument("d2");
    expect(copy.search("XK-2291", { topK: 3 }).map((h) => h.documentId)).not.toContain("d2");
  });
});
