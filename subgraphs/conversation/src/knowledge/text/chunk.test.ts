import { AppError } from "@ods/kit";
import { describe, expect, it } from "vitest";
import {
  chunkText,
  DEFAULT_CHUNK_SETTINGS,
  validateChunkSettings,
  type ChunkSettings,
  type TextChunk,
} from "./chunk.js";

/** Half of a surrogate pair without the other half: what cutting an emoji in two leaves behind. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What must hold for every chunking: exact offsets, size limit, no empty or padded chunks, indexes in order. */
function expectWellFormed(text: string, chunks: TextChunk[], size: number) {
  expect(chunks.length).toBeGreaterThan(0);
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(c.content).toBe(text.slice(c.start, c.end));
    expect(c.content.length).toBeLessThanOrEqual(size);
    expect(c.content.trim()).toBe(c.content);
    expect(c.content).not.toBe("");
    expect(c.content).not.toMatch(LONE_SURROGATE);
  });
  // Nothing is lost: every non-space character is inside some chunk.
  const covered = new Uint8Array(text.length);
  for (const c of chunks) covered.fill(1, c.start, c.end);
  const lost: number[] = [];
  for (let i = 0; i < text.length; i++) if (!covered[i] && !/\s/.test(text[i])) lost.push(i);
  expect(lost).toEqual([]);
}

/** Consecutive chunks overlap, by at most `overlap` characters. */
function expectOverlaps(chunks: TextChunk[], overlap: number) {
  for (let i = 1; i < chunks.length; i++) {
    const shared = chunks[i - 1].end - chunks[i].start;
    expect(shared, `chunks ${i - 1} and ${i}`).toBeGreaterThan(0);
    expect(shared, `chunks ${i - 1} and ${i}`).toBeLessThanOrEqual(overlap);
  }
}

const words = new Intl.Segmenter("zh", { granularity: "word" });
const wordBoundaries = (text: string) => new Set([...words.segment(text)].map((s) => s.index).concat(text.length));

const zhSentences = [
  "我们的退货政策是七天无理由退货。",
  "购买后如果商品有质量问题，可以在三十天内申请换货；",
  "运费由我们承担！",
  "请保留好发票、包装盒和所有配件。",
  "客服电话在工作日的上午九点到下午六点之间接听。",
  "您也可以通过在线客服提交退货申请？",
];
const zh = Array.from({ length: 12 }, (_, i) => zhSentences[i % zhSentences.length]).join("");

describe("chunkText (recursive)", () => {
  it("keeps short text as one chunk", () => {
    expect(chunkText("  Hello world.  ", DEFAULT_CHUNK_SETTINGS)).toEqual([
      { index: 0, content: "Hello world.", start: 2, end: 14 },
    ]);
  });

  it("gives no chunks for blank text", () => {
    expect(chunkText(" \n\n \t", DEFAULT_CHUNK_SETTINGS)).toEqual([]);
  });

  it("cuts Chinese text at Chinese punctuation, never inside a word", () => {
    const settings: ChunkSettings = { strategy: "recursive", size: 60, overlap: 15 };
    const chunks = chunkText(zh, settings);
    expectWellFormed(zh, chunks, 60);
    expectOverlaps(chunks, 15);
    const boundaries = wordBoundaries(zh);
    for (const c of chunks) {
      expect(c.content).toMatch(/[。！？；，、]$/);
      expect(boundaries.has(c.start), `start of ${c.content}`).toBe(true);
      expect(boundaries.has(c.end), `end of ${c.content}`).toBe(true);
    }
    // Sentences are kept whole where they fit: the full stop ends a chunk, not a clause comma.
    expect(chunks.filter((c) => /[。！？]$/.test(c.content)).length).toBeGreaterThan(chunks.length / 2);
  });

  it("cuts a long run of Chinese without punctuation between words", () => {
    const run = "自然语言处理技术可以帮助企业自动回答客户关于产品价格库存配送和售后服务的常见问题".repeat(5);
    const chunks = chunkText(run, { strategy: "recursive", size: 50, overlap: 10 });
    expectWellFormed(run, chunks, 50);
    const boundaries = wordBoundaries(run);
    for (const c of chunks) expect(boundaries.has(c.start) && boundaries.has(c.end)).toBe(true);
  });

  it("fills chunks up to the size, prefers paragraph and sentence ends, and overlaps by at most `overlap`", () => {
    const paragraph = (n: number) =>
      Array.from({ length: 6 }, (_, i) => `Paragraph ${n} sentence ${i} talks about lamps and desks.`).join(" ");
    const text = Array.from({ length: 8 }, (_, n) => paragraph(n)).join("\n\n");
    const chunks = chunkText(text, { strategy: "recursive", size: 200, overlap: 40 });
    expectWellFormed(text, chunks, 200);
    expectOverlaps(chunks, 40);
    for (const c of chunks.slice(0, -1)) {
      expect(c.content).toMatch(/\.$/); // ends at a sentence end
      expect(c.content.length).toBeGreaterThan(200 - 60); // and not far short of the size
    }
  });

  it("does not repeat text when overlap is 0", () => {
    const text = "One two three four five six seven eight nine ten. ".repeat(40);
    const chunks = chunkText(text, { strategy: "recursive", size: 120, overlap: 0 });
    expectWellFormed(text, chunks, 120);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i].start).toBeGreaterThanOrEqual(chunks[i - 1].end);
  });

  it("never splits a surrogate pair, even in a run with no spaces", () => {
    // "𝐀" (mathematical bold A) is a letter outside the BMP: a run of them is one word, cut only by length.
    const emoji = "😀🎉👍🏽".repeat(40) + "𠜎𠜱𠝹".repeat(30) + "𝐀".repeat(80);
    const chunks = chunkText(emoji, { strategy: "recursive", size: 51, overlap: 5 });
    expectWellFormed(emoji, chunks, 51);
  });

  it("keeps a product code in one piece", () => {
    const text =
      "Specs follow here. ".repeat(5) + "The code is XK-2291.v2 and nothing else. " + "More text. ".repeat(10);
    const chunks = chunkText(text, { strategy: "recursive", size: 60, overlap: 10 });
    expect(chunks.some((c) => c.content.includes("XK-2291.v2"))).toBe(true);
  });

  it("is deterministic", () => {
    const settings: ChunkSettings = { strategy: "recursive", size: 80, overlap: 20 };
    expect(chunkText(zh, settings)).toEqual(chunkText(zh, settings));
  });

  it("chunks a megabyte quickly", () => {
    const text = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(8) + "\n\n").repeat(2200);
    const t0 = performance.now();
    const chunks = chunkText(text, DEFAULT_CHUNK_SETTINGS);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(chunks.length).toBeGreaterThan(text.length / 500);
  });
});

describe("chunkText (markdown)", () => {
  const md = [
    "Intro before any heading.",
    "",
    "# Guide",
    "",
    "## Install",
    "",
    "Run the installer. It takes a minute.",
    "",
    "```sh",
    "# this is a shell comment, not a heading",
    "./install.sh",
    "```",
    "",
    "## Use",
    "",
    "Open the app.",
    "",
    "### Tips",
    "",
    Array.from({ length: 12 }, (_, i) => `Tip ${i}: keep the lamp away from water.`).join(" "),
    "",
    "# Reference",
    "",
    "All settings.",
  ].join("\n");

  it("splits at headings and records the heading path, including the heading line", () => {
    const chunks = chunkText(md, { strategy: "markdown", size: 150, overlap: 20 });
    expectWellFormed(md, chunks, 150);
    expect(chunks[0]).toMatchObject({ content: "Intro before any heading." });
    expect(chunks[0].heading).toBeUndefined();
    const install = chunks.find((c) => c.content.includes("./install.sh"))!;
    expect(install.heading).toBe("Guide > Install");
    // The empty "# Guide" section travels with its first subsection instead of being a chunk of its own.
    expect(install.content.startsWith("# Guide\n\n## Install")).toBe(true);
    expect(chunks.find((c) => c.content.startsWith("## Use"))!.heading).toBe("Guide > Use");
    const tips = chunks.filter((c) => c.heading === "Guide > Use > Tips");
    expect(tips.length).toBeGreaterThan(1); // a long section is cut further…
    expect(tips[0].content.startsWith("### Tips")).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ heading: "Reference", content: "# Reference\n\nAll settings." });
    // …and no chunk spans two sections.
    expect(chunks.some((c) => c.content.includes("Open the app") && c.content.includes("Tip 0"))).toBe(false);
  });

  it("does not treat # inside a code fence as a heading", () => {
    const chunks = chunkText(md, { strategy: "markdown", size: 500, overlap: 0 });
    expect(chunks.map((c) => c.heading)).not.toContain("this is a shell comment, not a heading");
  });
});

describe("chunkText (parent_child)", () => {
  it("gives small chunks for search, each linked to the larger passage around it", () => {
    const text = Array.from({ length: 60 }, (_, i) => `Sentence ${i} describes product number ${1000 + i}.`).join(" ");
    const chunks = chunkText(text, { strategy: "parent_child", size: 100, overlap: 20, parentSize: 400 });
    expectWellFormed(text, chunks, 100);
    const parents = new Map<number, NonNullable<TextChunk["parent"]>>();
    for (const c of chunks) {
      const p = c.parent!;
      expect(p.content).toBe(text.slice(p.start, p.end));
      expect(p.content.length).toBeLessThanOrEqual(400);
      expect(c.start).toBeGreaterThanOrEqual(p.start);
      expect(c.end).toBeLessThanOrEqual(p.end);
      parents.set(p.index, p);
    }
    const list = [...parents.values()].sort((a, b) => a.index - b.index);
    expect(list.map((p) => p.index)).toEqual(list.map((_, i) => i));
    expect(list.length).toBeGreaterThan(3);
    for (let i = 1; i < list.length; i++) expect(list[i].start).toBeGreaterThanOrEqual(list[i - 1].end);
    // Children of one parent overlap each other, never reach into the next parent.
    expectOverlaps(
      chunks.filter((c) => c.parent!.index === 1),
      20,
    );
  });
});

describe("validateChunkSettings", () => {
  const error = (s: Partial<ChunkSettings>) => {
    try {
      validateChunkSettings(s);
    } catch (err) {
      return err as AppError;
    }
    throw new Error("expected a validation error");
  };

  it("fills defaults", () => {
    expect(validateChunkSettings({})).toEqual(DEFAULT_CHUNK_SETTINGS);
    expect(validateChunkSettings({ size: 200 })).toEqual({
      strategy: "recursive",
      size: 200,
      overlap: 20,
      parentSize: 2000,
    });
    expect(validateChunkSettings({ strategy: "markdown", size: 1000, overlap: null as never })).toMatchObject({
      overlap: 50,
    });
  });

  it("replaces a stale parentSize for strategies that do not use it", () => {
    expect(validateChunkSettings({ ...DEFAULT_CHUNK_SETTINGS, size: 3000 }).parentSize).toBe(12_000);
  });

  it.each([
    [{ size: 10 }, "size"],
    [{ size: 9000 }, "size"],
    [{ size: 100.5 }, "size"],
    [{ size: 100, overlap: 100 }, "overlap"],
    [{ overlap: -1 }, "overlap"],
    [{ strategy: "sentences" as never }, "strategy"],
    [{ strategy: "parent_child", size: 500, parentSize: 500 }, "parentSize"],
  ] as [Partial<ChunkSettings>, string][])("rejects %j with BAD_USER_INPUT on %s", (settings, field) => {
    const err = error(settings);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(err.extensions.fields as object)).toContain(field);
  });

  it("is applied by chunkText", () => {
    expect(() => chunkText("text", { strategy: "recursive", size: 20, overlap: 0 })).toThrow(/size/);
  });
});
