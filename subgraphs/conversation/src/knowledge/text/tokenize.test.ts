import { describe, expect, it } from "vitest";
import { tokenize } from "./tokenize.js";

describe("tokenize", () => {
  it("lowercases and splits Latin text into words", () => {
    expect(tokenize("The Quick, brown FOX!")).toEqual(["the", "quick", "brown", "fox"]);
  });

  it("keeps a product code whole and also its parts", () => {
    const tokens = tokenize("Order XK-2291 today");
    expect(tokens).toEqual(expect.arrayContaining(["xk-2291", "xk", "2291", "order", "today"]));
  });

  it("folds full-width characters (NFKC), so ＸＫ－２２９１ is XK-2291", () => {
    expect(tokenize("ＸＫ－２２９１")).toEqual(tokenize("XK-2291"));
  });

  it("does not glue Chinese characters onto a code", () => {
    const tokens = tokenize("产品编号XK-2291");
    expect(tokens).toContain("xk-2291");
    expect(tokens.some((t) => /[\u4e00-\u9fff]/.test(t) && t.includes("xk"))).toBe(false);
  });

  it("emits Chinese words and character bigrams, so a phrase matches however it was segmented", () => {
    const tokens = tokenize("我们的退货政策");
    expect(tokens).toEqual(expect.arrayContaining(["政策", "退货", "货政", "的退", "我们"]));
    // Every bigram of the query phrase is in the text's tokens.
    for (const bigram of ["退货", "货政", "政策"]) expect(tokens).toContain(bigram);
  });

  it("segments Japanese and emits kana bigrams", () => {
    expect(tokenize("東京タワー")).toEqual(expect.arrayContaining(["東京タワー", "東京", "タワ", "ワー"]));
  });

  it("gives nothing for punctuation only", () => {
    expect(tokenize(" ,.!? —— 。、 ")).toEqual([]);
  });
});
