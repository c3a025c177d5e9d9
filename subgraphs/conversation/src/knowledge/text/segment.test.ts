import { describe, expect, it } from "vitest";
import { wordSegments } from "./segment.js";

const mixed = Array.from(
  { length: 60 },
  (_, i) => `第${i}条：我们的退货政策是七天无理由退货，产品编号XK-${2200 + i}。Lamps ship in 2 days! 東京タワー😀 `,
).join("\n");

describe("wordSegments", () => {
  it("gives the same segments as one Intl.Segmenter pass over the whole text", () => {
    const whole = [...new Intl.Segmenter(undefined, { granularity: "word" }).segment(mixed)].map((s) => ({
      segment: s.segment,
      start: s.index,
      end: s.index + s.segment.length,
      isWordLike: s.isWordLike ?? false,
    }));
    expect(mixed.length).toBeGreaterThan(2000);
    expect([...wordSegments(mixed)]).toEqual(whole);
  });

  it("covers a sub-range exactly with offsets into the whole text", () => {
    const segments = [...wordSegments(mixed, 100, 1500)];
    expect(segments[0].start).toBe(100);
    expect(segments.at(-1)!.end).toBe(1500);
    for (const s of segments) expect(mixed.slice(s.start, s.end)).toBe(s.segment);
  });

  it("never cuts a surrogate pair in a long run without breaks", () => {
    const run = "𝐀".repeat(700);
    const segments = [...wordSegments(run)];
    expect(segments.map((s) => s.segment).join("")).toBe(run);
    for (const s of segments) expect(s.segment.length % 2).toBe(0);
  });

  it("segments long Chinese text in linear time", () => {
    const text = "自然语言处理技术可以帮助企业，自动回答客户关于产品价格库存配送。".repeat(8_000);
    const t0 = performance.now();
    let words = 0;
    for (const s of wordSegments(text)) if (s.isWordLike) words++;
    expect(words).toBeGreaterThan(text.length / 4);
    // One pass over these 256 000 characters takes minutes (V8's iterator is quadratic); windows take a second.
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
