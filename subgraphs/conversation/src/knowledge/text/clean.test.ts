import { describe, expect, it } from "vitest";
import { cleanText } from "./clean.js";

describe("cleanText", () => {
  it("composes decomposed accents (NFC), so the same word is the same characters", () => {
    expect(cleanText("cafe\u0301")).toBe("caf\u00e9");
  });

  it("drops control characters but keeps tabs and line breaks", () => {
    expect(cleanText("a\u0000b\u0007c\td\u200Be\uFEFF\nf")).toBe("abc\tde\nf");
  });

  it("collapses runs of spaces inside a line and drops trailing spaces, keeping indentation", () => {
    expect(cleanText("a   b \u00A0 c   \n    - nested item")).toBe("a b c\n    - nested item");
  });

  it("keeps at most one blank line in a row and trims the whole", () => {
    expect(cleanText("\n\n  a\r\n\r\n\r\n   \n\nb\rc\n\n\n")).toBe("a\n\nb\nc");
  });

  it("leaves Chinese and Japanese text, including the ideographic space, intact", () => {
    const cjk = "退货政策：七天内可退货。\u3000東京タワーに行きました！";
    expect(cleanText(cjk)).toBe(cjk);
  });

  it("is idempotent", () => {
    const once = cleanText("  x  y\n\n\n\tz\u0001 ");
    expect(cleanText(once)).toBe(once);
  });
});
