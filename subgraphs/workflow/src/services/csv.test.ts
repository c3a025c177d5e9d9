import { describe, expect, it } from "vitest";
import { toCsv } from "./csv.js";

describe("toCsv", () => {
  it("writes a header line and one line per row, in the given column order", () => {
    const rows = [
      { name: "Ada", year: 1815, alive: false },
      { name: "Grace", year: 1906, alive: false },
    ];
    expect(toCsv(["year", "name"], rows)).toBe("year,name\n1815,Ada\n1906,Grace");
  });

  it("quotes fields with commas, quotes or line breaks, and writes null as an empty field", () => {
    const rows = [{ a: 'say "hi"', b: "x,y", c: "two\nlines", d: null }];
    expect(toCsv(["a", "b", "c", "d"], rows)).toBe('a,b,c,d\n"say ""hi""","x,y","two\nlines",');
  });

  it("writes objects and arrays as JSON and a missing value as empty", () => {
    expect(toCsv(["tags", "meta", "gone"], [{ tags: ["x"], meta: { k: 1 } }])).toBe(
      'tags,meta,gone\n"[""x""]","{""k"":1}",',
    );
  });

  it("is empty without columns", () => {
    expect(toCsv([], [])).toBe("");
  });
});
