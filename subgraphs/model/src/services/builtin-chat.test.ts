import { describe, expect, it } from "vitest";
import { builtinReply, streamPieces } from "./builtin-chat.js";
import { countTokens, splitPieces } from "./text.js";

const context = [
  "One Data Studio stores datasets in object storage.",
  "The office opens at 9 am and closes at 6 pm on weekdays.",
  "Parking is free for visitors in the north garage.",
].join(" ");

describe("builtinReply", () => {
  it("is deterministic: the same messages give the same answer", () => {
    const messages = [
      { role: "system", content: context },
      { role: "user", content: "When does the office open?" },
    ];
    const a = builtinReply(messages);
    const b = builtinReply(structuredClone(messages));
    expect(a).toEqual(b);
    expect(a.pieces.join("")).toBe(a.text);
  });

  it("answers extractively with the sentence that matches the question best", () => {
    const reply = builtinReply([
      { role: "system", content: context },
      { role: "user", content: "What time does the office open?" },
    ]);
    expect(reply.mode).toBe("extractive");
    expect(reply.text).toMatch(/quot/i);
    expect(reply.text).toContain("The office opens at 9 am and closes at 6 pm on weekdays.");
    expect(reply.text).not.toContain("Parking");
    expect(reply.finishReason).toBe("stop");
  });

  it("uses earlier turns and multi-part content as context, but not its own earlier answers", () => {
    const reply = builtinReply([
      { role: "user", content: [{ type: "text", text: "Note: the quarterly report is due on March 3." }] },
      { role: "assistant", content: "The garden is green." },
      { role: "user", content: "When is the quarterly report due?" },
    ]);
    expect(reply.text).toContain("the quarterly report is due on March 3.");
    expect(reply.text).not.toContain("garden");
  });

  it("quotes Chinese context by character overlap", () => {
    const reply = builtinReply([
      { role: "system", content: "公司的年假是十五天。停车场在大楼北侧。" },
      { role: "user", content: "年假有几天？" },
    ]);
    expect(reply.mode).toBe("extractive");
    expect(reply.text).toContain("公司的年假是十五天。");
    expect(reply.text).not.toContain("停车场");
  });

  it("without usable context says what it is and how to connect a real model", () => {
    for (const messages of [
      [{ role: "user", content: "Write me a poem about the sea" }],
      [
        { role: "system", content: "Parking is free for visitors in the north garage." },
        { role: "user", content: "Explain quantum entanglement" },
      ],
    ]) {
      const reply = builtinReply(messages);
      expect(reply.mode).toBe("no-context");
      expect(reply.text).toContain("built-in offline model");
      expect(reply.text).toContain("not a language model");
      expect(reply.text).toContain("registerModel");
      expect(reply.text).toContain("http://host:8000/v1");
      expect(reply.text).toContain("http://host:11434/v1");
    }
    expect(builtinReply([{ role: "user", content: "你好" }]).text).toContain("内置离线模型");
  });

  it("stops at max_tokens words with finish reason length", () => {
    const full = builtinReply([{ role: "user", content: "hello there" }]);
    const cut = builtinReply([{ role: "user", content: "hello there" }], { maxTokens: 5 });
    expect(cut.finishReason).toBe("length");
    expect(cut.pieces).toHaveLength(5);
    expect(cut.completionTokens).toBe(5);
    expect(full.text.startsWith(cut.text)).toBe(true);
    expect(full.completionTokens).toBe(countTokens(full.text));
    expect(builtinReply([{ role: "user", content: "hi" }], { maxTokens: 10_000 }).finishReason).toBe("stop");
  });

  it("ends before a stop sequence", () => {
    const reply = builtinReply([{ role: "user", content: "hello" }], { stop: ["model"] });
    expect(reply.text).not.toContain("model");
    expect(reply.finishReason).toBe("stop");
  });

  it("counts prompt tokens with the simple tokenizer (words and CJK characters)", () => {
    const reply = builtinReply([
      { role: "system", content: "one two three" },
      { role: "user", content: "数据平台" },
    ]);
    expect(reply.promptTokens).toBe(7);
  });
});

describe("splitPieces and streamPieces", () => {
  it("keeps whitespace so the pieces join back to the text, and splits CJK per character", () => {
    const text = "  Hello,  world!\n\n数据 平台 ok ";
    const pieces = splitPieces(text);
    expect(pieces.join("")).toBe(text);
    expect(pieces).toContain("数");
    expect(pieces.length).toBe(countTokens(text));
  });

  it("streams every piece and stops when aborted", async () => {
    const seen: string[] = [];
    for await (const p of streamPieces(["a ", "b ", "c"], 0)) seen.push(p);
    expect(seen).toEqual(["a ", "b ", "c"]);

    const controller = new AbortController();
    const partial: string[] = [];
    for await (const p of streamPieces(["a ", "b ", "c"], 5, controller.signal)) {
      partial.push(p);
      controller.abort();
    }
    expect(partial).toEqual(["a "]);
  });
});

describe("builtinReply with numbered sources", () => {
  it("cites the source of each quoted sentence with its marker", () => {
    const reply = builtinReply([
      {
        role: "system",
        content:
          "Answer from the numbered sources below.\n\n[1] Source: care.pdf\nDescale the kettle every month.\n\n" +
          "[2] Source: warranty.pdf\nWarranty terms. The Aurora kettle has a warranty of 36 months.",
      },
      { role: "user", content: "How long is the kettle warranty?" },
    ]);
    expect(reply.text).toContain("The Aurora kettle has a warranty of 36 months. [2]");
    expect(reply.text).not.toContain("36 months. [1]");
  });
});
