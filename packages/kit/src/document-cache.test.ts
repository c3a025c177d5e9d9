import { buildSchema, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { createDocumentCache } from "./document-cache.js";

const schema = buildSchema("type Query { hello: String }");

describe("createDocumentCache", () => {
  it("parses a text once and returns the same document for it, a Source included", () => {
    const cache = createDocumentCache();
    let parses = 0;
    const parser = (text: string) => (parses++, parse(text));
    const first = cache.parse("{ hello }", parser);
    expect(cache.parse("{ hello }", parser)).toBe(first);
    expect(cache.parse({ body: "{ hello }" } as never, parser)).toBe(first);
    expect(parses).toBe(1);
  });

  it("keeps at most `max` texts, dropping the least recently used", () => {
    const cache = createDocumentCache({ max: 2 });
    const a = cache.parse("{ a: hello }");
    const b = cache.parse("{ b: hello }");
    expect(cache.parse("{ a: hello }")).toBe(a); // a is now the most recently used
    cache.parse("{ c: hello }");
    expect(cache.parse("{ a: hello }")).toBe(a);
    expect(cache.parse("{ b: hello }")).not.toBe(b);
  });

  it("validates a document once per schema, keeping its errors", () => {
    const cache = createDocumentCache();
    const bad = cache.parse("{ nope }");
    const errors = cache.validate(schema, bad);
    expect(errors.map((e) => e.message)).toEqual(['Cannot query field "nope" on type "Query".']);
    expect(cache.validate(schema, bad)).toBe(errors);
    expect(cache.validate(schema, cache.parse("{ hello }"))).toEqual([]);
    const other = buildSchema("type Query { nope: Int }");
    expect(cache.validate(other, bad)).toEqual([]);
  });
});
