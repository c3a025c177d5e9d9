import { AppError } from "@ods/kit";
import { describe, expect, it } from "vitest";
import { makeDocx, makeEncryptedPdf, makePdf } from "../../../test/documents.js";
import { decodeText, detectFormat, parseDocument } from "./parse.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

/** The BAD_USER_INPUT error `promise` rejects with. */
async function userError(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => {
      throw new Error("expected a BAD_USER_INPUT error");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe("BAD_USER_INPUT");
  return err as AppError;
}

describe("detectFormat", () => {
  it("reads the extension, then the MIME type", () => {
    expect(detectFormat("Notes.MD")).toBe("md");
    expect(detectFormat("page.htm")).toBe("html");
    expect(detectFormat("table.tsv")).toBe("csv");
    expect(detectFormat("events.jsonl")).toBe("json");
    expect(detectFormat("upload", "application/pdf")).toBe("pdf");
    expect(detectFormat("upload", "text/csv; charset=utf-8")).toBe("csv");
    expect(detectFormat("photo.png", "image/png")).toBeNull();
    expect(detectFormat("sheet.xlsx")).toBeNull();
  });

  it("trusts PDF and DOCX magic bytes over a wrong name", async () => {
    expect(detectFormat("scan.txt", "text/plain", await makePdf([["x"]]))).toBe("pdf");
    expect(detectFormat("download.bin", "application/octet-stream", await makeDocx([{ text: "x" }]))).toBe("docx");
  });

  it("sniffs text content when name and type say nothing", () => {
    expect(detectFormat("data", null, utf8('[{"a": 1}]'))).toBe("json");
    expect(detectFormat("page", null, utf8("<!DOCTYPE html><p>x</p>"))).toBe("html");
    expect(detectFormat("README", null, utf8("plain words"))).toBe("txt");
    expect(detectFormat("blob", null, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]))).toBeNull();
  });
});

describe("decodeText", () => {
  it("decodes UTF-8 and strips the BOM", () => {
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8("héllo 你好")]))).toBe("héllo 你好");
  });

  it("decodes GB18030 text saved by Chinese Windows", () => {
    // "退货政策，你好。" in GB18030 (GBK subset).
    const gb = [0xcd, 0xcb, 0xbb, 0xf5, 0xd5, 0xfe, 0xb2, 0xdf, 0xa3, 0xac, 0xc4, 0xe3, 0xba, 0xc3, 0xa1, 0xa3];
    expect(decodeText(new Uint8Array([...utf8("Policy: "), ...gb]))).toBe("Policy: 退货政策，你好。");
  });

  it("falls back to Latin-1 for other legacy text", () => {
    expect(decodeText(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x61, 0xef, 0x76, 0x65]))).toBe("café naïve");
  });

  it("decodes UTF-16 with a BOM", () => {
    expect(decodeText(new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0x60, 0x4f]))).toBe("A你");
  });
});

describe("parseDocument", () => {
  it("reads a PDF page by page with its line breaks, page count and title", async () => {
    const bytes = await makePdf(
      [
        ["Return policy", "Items can be returned within 30 days."],
        ["Product code XK-2291", "Warranty: two years."],
      ],
      { title: "Lamp handbook" },
    );
    const doc = await parseDocument({ bytes, filename: "handbook.pdf", mimeType: "application/pdf" });
    expect(doc).toMatchObject({ format: "pdf", pages: 2, title: "Lamp handbook" });
    expect(doc.text).toBe(
      "Return policy\nItems can be returned within 30 days.\n\nProduct code XK-2291\nWarranty: two years.",
    );
  });

  it("reads a DOCX with its headings as Markdown", async () => {
    const bytes = await makeDocx([
      { text: "Lamp handbook", heading: 1 },
      { text: "The XK-2291 is a desk lamp & reading light." },
      { text: "Returns", heading: 2 },
      { text: "Within 30 days." },
      { text: "Fine print", heading: 3 },
      { text: "Keep the <receipt>." },
    ]);
    const doc = await parseDocument({ bytes, filename: "handbook.docx" });
    expect(doc).toMatchObject({ format: "docx", title: "Lamp handbook" });
    expect(doc.text).toBe(
      "# Lamp handbook\n\nThe XK-2291 is a desk lamp & reading light.\n\n## Returns\n\nWithin 30 days.\n\n### Fine print\n\nKeep the <receipt>.",
    );
  });

  it("reads HTML as text with Markdown headings, without scripts and styles", async () => {
    const html = `<!doctype html><html><head><title>Shop &amp; Co</title><style>p { color: red }</style></head>
      <body><nav>Home</nav><h1>Returns</h1><p>Send it   back
      within <b>30</b>&nbsp;days.</p><script>alert("x")</script>
      <h2>Exceptions</h2><ul><li>Food</li><li>Gift cards<ul><li>Printed</li></ul></li></ul>
      <table><tr><th>Code</th><th>Days</th></tr><tr><td>XK-2291</td><td>60</td></tr></table>
      <pre>  indented
  code</pre></body></html>`;
    const doc = await parseDocument({ bytes: utf8(html), filename: "returns.html" });
    expect(doc.title).toBe("Shop & Co");
    expect(doc.text).toBe(
      [
        "Home",
        "",
        "# Returns",
        "",
        "Send it back within 30 days.",
        "",
        "## Exceptions",
        "",
        "- Food",
        "- Gift cards",
        "  - Printed",
        "",
        "Code | Days",
        "XK-2291 | 60",
        "",
        "```",
        "  indented",
        "  code",
        "```",
      ].join("\n"),
    );
  });

  it("keeps Markdown as Markdown and takes its first heading as the title", async () => {
    const doc = await parseDocument({
      bytes: utf8("# Guide\n\n## Install\n\nRun   it.\n\n\n\n"),
      filename: "guide.md",
    });
    expect(doc).toEqual({ format: "md", title: "Guide", text: "# Guide\n\n## Install\n\nRun it." });
  });

  it("reads GB18030 text files", async () => {
    const gb = [0xcd, 0xcb, 0xbb, 0xf5, 0xd5, 0xfe, 0xb2, 0xdf, 0xa3, 0xac, 0xc4, 0xe3, 0xba, 0xc3, 0xa1, 0xa3];
    const doc = await parseDocument({ bytes: new Uint8Array(gb), filename: "政策.txt" });
    expect(doc).toEqual({ format: "txt", text: "退货政策，你好。" });
  });

  it("reads CSV rows as `col: value` lines, detecting the header and the delimiter", async () => {
    const withHeader = await parseDocument({
      bytes: utf8('sku;name;price\nXK-2291;"Desk lamp; white";12,50\nXK-2290;Floor lamp;\n'),
      filename: "products.csv",
    });
    expect(withHeader.text).toBe("sku: XK-2291; name: Desk lamp; white; price: 12,50\nsku: XK-2290; name: Floor lamp");
    expect(withHeader.columns).toEqual(["sku", "name", "price"]);
    expect(withHeader.rows).toEqual([
      { sku: "XK-2291", name: "Desk lamp; white", price: "12,50" },
      { sku: "XK-2290", name: "Floor lamp", price: "" },
    ]);
    const noHeader = await parseDocument({ bytes: utf8("1,lamp\n2,desk\n"), filename: "plain.csv" });
    expect(noHeader.text).toBe("column 1: 1; column 2: lamp\ncolumn 1: 2; column 2: desk");
  });

  it("reads JSON arrays of objects like CSV and pretty-prints other JSON", async () => {
    const table = await parseDocument({
      bytes: utf8(
        JSON.stringify({
          items: [
            { sku: "XK-2291", tags: ["lamp"] },
            { sku: "XK-2290", note: null },
          ],
        }),
      ),
      filename: "items.json",
    });
    expect(table.text).toBe('sku: XK-2291; tags: ["lamp"]\nsku: XK-2290');
    expect(table.columns).toEqual(["sku", "tags", "note"]);
    const lines = await parseDocument({ bytes: utf8('{"q":"a"}\n{"q":"b"}\n'), filename: "faq.jsonl" });
    expect(lines.text).toBe("q: a\nq: b");
    const other = await parseDocument({ bytes: utf8('{"version":2,"ok":true}'), filename: "config.json" });
    expect(other.text).toBe('{\n  "version": 2,\n  "ok": true\n}');
  });

  it("rejects unsupported types with what to do instead", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    expect((await userError(parseDocument({ bytes: png, filename: "photo.png" }))).message).toMatch(
      /not a supported file type.*\.pdf/,
    );
    expect((await userError(parseDocument({ bytes: utf8("x"), filename: "old.doc" }))).message).toMatch(/\.docx/);
  });

  it("rejects damaged and password-protected PDFs", async () => {
    const pdf = await makePdf([["Hello"]]);
    const damaged = pdf.slice(0, 200);
    expect((await userError(parseDocument({ bytes: damaged, filename: "broken.pdf" }))).message).toMatch(/damaged/);
    const locked = await makeEncryptedPdf();
    expect((await userError(parseDocument({ bytes: locked, filename: "locked.pdf" }))).message).toMatch(
      /password-protected/,
    );
  });

  it("rejects a damaged DOCX, invalid JSON and files without text", async () => {
    const docx = await makeDocx([{ text: "x" }]);
    await userError(parseDocument({ bytes: docx.slice(0, docx.length - 40), filename: "cut.docx" }));
    expect((await userError(parseDocument({ bytes: utf8("{oops"), filename: "bad.json" }))).message).toMatch(/JSON/);
    expect((await userError(parseDocument({ bytes: utf8(" \n\t\n"), filename: "blank.txt" }))).message).toMatch(
      /no text/,
    );
    const empty = await makePdf([[]]);
    expect((await userError(parseDocument({ bytes: empty, filename: "scan.pdf" }))).message).toMatch(/OCR/);
  });
});
