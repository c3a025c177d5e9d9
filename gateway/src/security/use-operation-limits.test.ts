import { buildSchema, parse } from "graphql";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DefenceError } from "./errors.js";
import type { OperationLimits } from "./settings.js";
import { checkDocument, measureDocument, parseWithinLimits, prescan } from "./use-operation-limits.js";
import { defaultManifestPaths, documentsFromGenerated } from "./use-trusted-documents.js";

const repo = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const schema = buildSchema(readFileSync(repo("schema/api.graphql"), "utf8"));

/** The defaults of gateway/src/config.ts. */
const limits: OperationLimits = {
  maxDepth: 15,
  maxAliases: 30,
  maxTokens: 2_000,
  maxDirectives: 10,
  maxCost: 10_000,
  maxQueryLength: 30_000,
  defaultListSize: 20,
  fieldCosts: {},
};

/** Runs parse + check, returning the refusal's extensions (or undefined when the document passes). */
function refusal(query: string, overrides: Partial<OperationLimits> = {}, variables?: Record<string, unknown>) {
  const l = { ...limits, ...overrides };
  try {
    checkDocument(parseWithinLimits(query, l), schema, l, variables);
    return undefined;
  } catch (err) {
    if (!(err instanceof DefenceError)) throw err;
    return err.extensions;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe("operation limits", () => {
  it("lets every operation of the web app and the SDK through with the defaults", () => {
    const documents = defaultManifestPaths()
      .filter((p) => p.endsWith(".ts"))
      .flatMap((p) => documentsFromGenerated(readFileSync(p, "utf8")));
    expect(documents.length).toBeGreaterThan(5);
    for (const query of documents) expect(refusal(query), query.slice(0, 80)).toBeUndefined();
  });

  it("refuses depth 50 and 1,000 aliases in well under 5 ms (median of 21)", () => {
    const deep = `query Deep { ${"me { ".repeat(50)}id${" }".repeat(50)} }`;
    const aliases = `query A { ${Array.from({ length: 1000 }, (_, i) => `a${i}: __typename`).join(" ")} }`;
    for (const [query, limit] of [
      [deep, "depth"],
      [aliases, "aliases"],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < 21; i++) {
        const started = performance.now();
        expect(refusal(query)).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit });
        times.push(performance.now() - started);
      }
      expect(median(times)).toBeLessThan(5);
    }
  });

  it("counts depth through fragments, which the raw text does not show", () => {
    const query = `query Q { me { ...A } }
      fragment A on User { id ${"... on User { ".repeat(3)} id ${"}".repeat(3)} }`;
    expect(measureDocument(parse(query), schema, limits).depth).toBe(2);
    const fragments = Array.from({ length: 20 }, (_, i) => `fragment F${i} on Query { me { ...F${i + 1} } }`).join(
      "\n",
    );
    const deep = `query Q { ...F0 } ${fragments} fragment F20 on Query { __typename }`;
    expect(prescan(deep).depth).toBeLessThanOrEqual(2);
    expect(refusal(deep)).toMatchObject({ limit: "depth", actual: 21 });
  });

  it("refuses exponential fragment spreads in linear time (each fragment measured once)", () => {
    // Each level spreads the next twice: 2^25 fields if expanded, 30 fragments as written.
    const levels = Array.from(
      { length: 25 },
      (_, i) => `fragment L${i} on Query { a${i}: __typename ...L${i + 1} ...L${i + 1} }`,
    ).join("\n");
    const query = `query Q { ...L0 } ${levels} fragment L25 on Query { __typename }`;
    const started = performance.now();
    expect(refusal(query, { maxTokens: 10_000 })).toMatchObject({ limit: "aliases" });
    expect(performance.now() - started).toBeLessThan(50);
  });

  it("refuses the token, length and directive limits, and a repeated directive", () => {
    expect(refusal(`{ ${"a ".repeat(2100)} }`)).toMatchObject({ limit: "tokens" });
    expect(refusal(`{ __typename } #${"x".repeat(40_000)}`)).toMatchObject({ limit: "length" });
    expect(refusal(`{ __typename ${"@include(if: true) ".repeat(11)} }`)).toMatchObject({ limit: "directives" });
    expect(refusal(`query cop { __typename @aa@aa }`)).toMatchObject({ limit: "directives" });
  });

  it("does not count text inside strings, comments and arguments", () => {
    expect(prescan(`{ a(x: {b: {c: 1}}) { b } } # { { { : @`)).toEqual({ depth: 2, aliases: 0, directives: 0 });
    expect(prescan(`{ a(s: "}{:@\\" {") { b } c: d }`)).toEqual({ depth: 2, aliases: 1, directives: 0 });
    expect(prescan(`{ a(s: """ { { { : """) }`)).toEqual({ depth: 1, aliases: 0, directives: 0 });
  });

  it("multiplies list costs by first/limit, or by the default list size", () => {
    const connection = (n: number) => `{ datasets(first: ${n}) { edges { node { id name } } } }`;
    const small = measureDocument(parse(connection(10)), schema, limits).cost;
    const large = measureDocument(parse(connection(100)), schema, limits).cost;
    expect(large - 1).toBe((small - 1) * 10);
    const withVariable = measureDocument(
      parse(`query ($n: Int) { datasets(first: $n) { edges { node { id } } } }`),
      schema,
      limits,
      { n: 1000 },
    );
    expect(withVariable.cost).toBeGreaterThan(large);
    expect(
      refusal(`query ($n: Int) { datasets(first: $n) { edges { node { id } } } }`, { maxCost: 100 }, { n: 1_000 }),
    ).toMatchObject({
      limit: "cost",
    });
    // A per-field cost overrides the default.
    const priced = measureDocument(parse(`{ me { id } }`), schema, { ...limits, fieldCosts: { "Query.me": 40 } });
    expect(priced.cost).toBe(40);
  });

  it("checks a reused document once, unless its measure depends on the variables", () => {
    const l = { ...limits, maxCost: 100 };
    // A list size from a variable: each use is measured with its own variables.
    const sized = parse(`query ($n: Int) { datasets(first: $n) { edges { node { id } } } }`);
    expect(checkDocument(sized, schema, l, { n: 1 }).cost).toBeLessThan(100);
    expect(() => checkDocument(sized, schema, l, { n: 1_000 })).toThrow(DefenceError);
    // A fixed document keeps the measure it passed with (the same object is returned, nothing is walked again).
    const fixed = parse(`subscription ($id: ID!) { messageStream(messageId: $id) { __typename } }`);
    const first = checkDocument(fixed, schema, l, { id: "a" });
    expect(checkDocument(fixed, schema, l, { id: "b" })).toBe(first);
    // Against other limits or another schema it is checked again.
    expect(() => checkDocument(fixed, schema, { ...l, maxDepth: 1 })).toThrow(DefenceError);
  });

  it("answers a syntax error as GRAPHQL_PARSE_FAILED", () => {
    expect(refusal("{ __typename ")).toMatchObject({ code: "GRAPHQL_PARSE_FAILED" });
  });
});
