import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  detectDelimiter,
  inferCsvSchema,
  inferJsonlSchema,
  typeOfText,
  uniqueHeaders,
  widenType,
  type ColumnSpec,
} from "./infer-schema.js";
import { countRows, readRows, typedValue } from "./read-data.js";

/** A stream that hands out `text` in small chunks, so records and characters cross chunk boundaries. */
function streamOf(text: string | Buffer, chunkSize = 7): Readable {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, "utf8");
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

const byName = (columns: ColumnSpec[]) => Object.fromEntries(columns.map((c) => [c.name, c]));

describe("typeOfText", () => {
  it.each([
    ["42", "INTEGER"],
    ["-7", "INTEGER"],
    ["+3", "INTEGER"],
    ["0", "INTEGER"],
    ["007", "STRING"],
    ["3.14", "FLOAT"],
    ["-.5", "FLOAT"],
    ["1e10", "FLOAT"],
    ["2.5E-3", "FLOAT"],
    ["true", "BOOLEAN"],
    ["FALSE", "BOOLEAN"],
    ["2024-02-29", "DATE"],
    ["2023-02-29", "STRING"],
    ["2024-13-01", "STRING"],
    ["2024-01-15T10:30:00Z", "TIMESTAMP"],
    ["2024-01-15T10:30:00.123+02:00", "TIMESTAMP"],
    ["2024-01-15 10:30", "TIMESTAMP"],
    ["2024-01-15T25:00:00", "STRING"],
    ["hello", "STRING"],
    ["1,5", "STRING"],
    ["NaN", "STRING"],
  ])("%s is %s", (value, type) => {
    expect(typeOfText(value)).toBe(type);
  });
});

describe("widenType", () => {
  it("widens along INTEGER ⊂ FLOAT ⊂ STRING and DATE ⊂ TIMESTAMP", () => {
    expect(widenType(undefined, "INTEGER")).toBe("INTEGER");
    expect(widenType("INTEGER", "FLOAT")).toBe("FLOAT");
    expect(widenType("FLOAT", "INTEGER")).toBe("FLOAT");
    expect(widenType("DATE", "TIMESTAMP")).toBe("TIMESTAMP");
    expect(widenType("INTEGER", "BOOLEAN")).toBe("STRING");
    expect(widenType("DATE", "INTEGER")).toBe("STRING");
    expect(widenType("FLOAT", "STRING")).toBe("STRING");
  });
});

describe("uniqueHeaders", () => {
  it("names empty headers by position and suffixes repeats", () => {
    expect(uniqueHeaders(["id", "", "id", " name ", "id", "id_2"])).toEqual([
      "id",
      "column_2",
      "id_2",
      "name",
      "id_3",
      "id_2_2",
    ]);
  });
});

describe("detectDelimiter", () => {
  it("finds each supported delimiter", () => {
    expect(detectDelimiter("a,b,c\n1,2,3\n")).toBe(",");
    expect(detectDelimiter("a;b;c\n1;2;3\n")).toBe(";");
    expect(detectDelimiter("a\tb\tc\n1\t2\t3\n")).toBe("\t");
    expect(detectDelimiter("a|b|c\n1|2|3\n")).toBe("|");
  });

  it("ignores delimiters inside quotes", () => {
    // Every line has two commas inside quotes, but the semicolons are what separate the fields.
    const sample = 'name;note\n"Smith, J.";"a, b"\n"Lee, K.";"c, d"\n';
    expect(detectDelimiter(sample)).toBe(";");
  });

  it("prefers the delimiter that splits records consistently", () => {
    // European decimals: commas vary per line, semicolons do not.
    const sample = "price;qty;note\n1,5;2;x\n10;3;a,b,c\n2,25;4;y\n";
    expect(detectDelimiter(sample)).toBe(";");
  });

  it("falls back to a comma for a single column", () => {
    expect(detectDelimiter("name\nAda\nGrace\n")).toBe(",");
  });
});

describe("inferCsvSchema", () => {
  it("types each column by the narrowest type every value fits", async () => {
    const csv = [
      "id,price,active,day,at,label",
      "1,9.5,true,2024-01-01,2024-01-01T00:00:00Z,a",
      "2,10,false,2024-01-02,2024-01-02T12:00:00Z,b",
      "3,11.25,TRUE,2024-01-03,2024-01-03,c",
    ].join("\n");
    const { columns, sampledRows, delimiter } = await inferCsvSchema(streamOf(csv));
    expect(delimiter).toBe(",");
    expect(sampledRows).toBe(3);
    expect(columns).toEqual([
      { name: "id", type: "INTEGER", nullable: false },
      { name: "price", type: "FLOAT", nullable: false },
      { name: "active", type: "BOOLEAN", nullable: false },
      { name: "day", type: "DATE", nullable: false },
      { name: "at", type: "TIMESTAMP", nullable: false },
      { name: "label", type: "STRING", nullable: false },
    ]);
  });

  it("reads quoted fields holding delimiters, quotes and newlines", async () => {
    const csv = 'id,comment,amount\r\n1,"Hello, world",5\r\n2,"line one\nline two, still ""quoted""",6\r\n3,,7\r\n';
    const { columns, sampledRows } = await inferCsvSchema(streamOf(csv, 3));
    expect(sampledRows).toBe(3);
    expect(byName(columns).comment).toEqual({ name: "comment", type: "STRING", nullable: true });
    expect(byName(columns).amount).toEqual({ name: "amount", type: "INTEGER", nullable: false });
  });

  it("reads semicolon files with a BOM and Chinese headers", async () => {
    const csv = "\uFEFF城市;人口;面积\n北京;21540000;16410.5\n上海;24870000;\n";
    const { columns, delimiter } = await inferCsvSchema(streamOf(csv, 5));
    expect(delimiter).toBe(";");
    expect(columns).toEqual([
      { name: "城市", type: "STRING", nullable: false },
      { name: "人口", type: "INTEGER", nullable: false },
      { name: "面积", type: "FLOAT", nullable: true },
    ]);
  });

  it("marks columns with empty values nullable and all-empty columns STRING", async () => {
    const csv = "a,b,c\n1,,x\n,,y\n3,, \n";
    const columns = byName((await inferCsvSchema(streamOf(csv))).columns);
    expect(columns.a).toEqual({ name: "a", type: "INTEGER", nullable: true });
    expect(columns.b).toEqual({ name: "b", type: "STRING", nullable: true });
    expect(columns.c).toEqual({ name: "c", type: "STRING", nullable: true });
  });

  it("makes duplicate and empty header names unique", async () => {
    const csv = "id,,id\n1,2,3\n";
    const { columns } = await inferCsvSchema(streamOf(csv));
    expect(columns.map((c) => c.name)).toEqual(["id", "column_2", "id_2"]);
  });

  it("reads tab- and pipe-separated files", async () => {
    expect((await inferCsvSchema(streamOf("a\tb\n1\tx\n"))).columns.map((c) => c.type)).toEqual(["INTEGER", "STRING"]);
    expect((await inferCsvSchema(streamOf("a|b\n1.5|2024-05-05\n"))).columns.map((c) => c.type)).toEqual([
      "FLOAT",
      "DATE",
    ]);
  });

  it("treats rows with fewer fields as empty values", async () => {
    const { columns } = await inferCsvSchema(streamOf("a,b\n1,2\n3\n"));
    expect(byName(columns).b).toEqual({ name: "b", type: "INTEGER", nullable: true });
  });

  it("samples only the first rows", async () => {
    const lines = ["n"];
    for (let i = 0; i < 50; i++) lines.push(String(i));
    lines.push("not a number");
    const { columns, sampledRows } = await inferCsvSchema(streamOf(lines.join("\n")), { maxRows: 50 });
    expect(sampledRows).toBe(50);
    expect(columns[0]!.type).toBe("INTEGER");
  });

  it("stops reading once the byte budget is used", async () => {
    let produced = 0;
    async function* endless() {
      yield Buffer.from("n\n");
      for (;;) {
        produced++;
        yield Buffer.from("1\n".repeat(1000));
      }
    }
    const { sampledRows } = await inferCsvSchema(Readable.from(endless(), { objectMode: false }), {
      maxRows: 1_000_000,
      maxBytes: 64 * 1024,
    });
    expect(sampledRows).toBeGreaterThan(0);
    expect(produced).toBeLessThan(200);
  });

  it("rejects an empty file", async () => {
    await expect(inferCsvSchema(streamOf(""))).rejects.toThrow(/empty/);
  });

  it("reports broken quoting", async () => {
    await expect(inferCsvSchema(streamOf('a,b\n"unterminated,1\n'))).rejects.toThrow(/not valid CSV/);
  });
});

describe("inferJsonlSchema", () => {
  it("unions the keys of the first objects with the same typing", async () => {
    const jsonl = [
      '{"id":1,"name":"a","score":1.5,"ok":true,"day":"2024-01-01"}',
      "",
      '{"id":2,"name":null,"score":2,"ok":false,"day":"2024-01-02","extra":{"x":1}}',
      '{"id":3,"score":3,"ok":true,"day":"2024-01-03T08:00:00Z"}',
    ].join("\n");
    const columns = await inferJsonlSchema(streamOf(jsonl, 11));
    expect(columns.sampledRows).toBe(3);
    expect(columns.columns).toEqual([
      { name: "id", type: "INTEGER", nullable: false },
      { name: "name", type: "STRING", nullable: true },
      { name: "score", type: "FLOAT", nullable: false },
      { name: "ok", type: "BOOLEAN", nullable: false },
      { name: "day", type: "TIMESTAMP", nullable: false },
      { name: "extra", type: "STRING", nullable: true },
    ]);
  });

  it("keeps numeric strings as strings", async () => {
    const { columns } = await inferJsonlSchema(streamOf('{"zip":"01234"}\n{"zip":"99999"}\n'));
    expect(columns[0]!.type).toBe("STRING");
  });

  it("names the line that is not an object", async () => {
    await expect(inferJsonlSchema(streamOf('{"a":1}\n[1,2]\n'))).rejects.toThrow(/line 2 is not a JSON object/);
    await expect(inferJsonlSchema(streamOf('{"a":1}\n{oops\n'))).rejects.toThrow(/line 2 is not valid JSON/);
  });
});

describe("readRows", () => {
  const columns: ColumnSpec[] = [
    { name: "id", type: "INTEGER", nullable: false },
    { name: "price", type: "FLOAT", nullable: true },
    { name: "ok", type: "BOOLEAN", nullable: false },
    { name: "note", type: "STRING", nullable: true },
  ];

  it("types CSV values by their column and stops at the limit", async () => {
    const csv = 'id;price;ok;note\n1;2.5;true;"a;b"\n2;;false;\n3;1;true;c\n';
    expect(await readRows(streamOf(csv), "CSV", columns, 2)).toEqual([
      { id: 1, price: 2.5, ok: true, note: "a;b" },
      { id: 2, price: null, ok: false, note: null },
    ]);
  });

  it("keeps values that do not fit their column as text", () => {
    expect(typedValue("abc", "INTEGER")).toBe("abc");
    expect(typedValue("12345678901234567890", "INTEGER")).toBe("12345678901234567890");
    expect(typedValue("maybe", "BOOLEAN")).toBe("maybe");
    expect(typedValue("7", "FLOAT")).toBe(7);
  });

  it("reads JSONL rows by key", async () => {
    const jsonl = '{"id":1,"price":2.5,"ok":true}\n{"id":2,"ok":false,"note":"x"}\n';
    expect(await readRows(streamOf(jsonl), "JSONL", columns, 10)).toEqual([
      { id: 1, price: 2.5, ok: true, note: null },
      { id: 2, price: null, ok: false, note: "x" },
    ]);
  });
});

describe("countRows", () => {
  it("counts CSV records, not lines, without the header", async () => {
    const csv = 'a,b\r\n1,"x\ny"\r\n\r\n2,"he said ""hi"""\r\n3,z';
    expect(await countRows(streamOf(csv, 4), "CSV")).toBe(3);
    expect(await countRows(streamOf("a,b\n"), "CSV")).toBe(0);
  });

  it("counts JSONL objects", async () => {
    expect(await countRows(streamOf('{"a":"\\""}\n\n{"a":2}\n'), "JSONL")).toBe(2);
  });
});
