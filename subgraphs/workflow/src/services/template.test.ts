import { describe, expect, it } from "vitest";
import { placeholders, renderTemplate, TemplateError } from "./template.js";

describe("renderTemplate", () => {
  const scope = {
    input: { question: "Why?", n: 3, tags: ["a", "b"], empty: null },
    llm: { text: "Because.", usage: { promptTokens: 5, completionTokens: 2 } },
  };

  it("replaces input and node placeholders, with or without spaces", () => {
    expect(renderTemplate("Q: {{input.question}} A: {{ llm.text }}", scope)).toBe("Q: Why? A: Because.");
  });

  it("reads dotted paths and formats non-strings", () => {
    expect(renderTemplate("{{llm.usage.completionTokens}}/{{input.n}}/{{input.tags}}/[{{input.empty}}]", scope)).toBe(
      '2/3/["a","b"]/[]',
    );
  });

  it("leaves text without placeholders alone, including lone braces", () => {
    expect(renderTemplate("{ json: {{not a placeholder}} }", scope)).toBe("{ json: {{not a placeholder}} }");
  });

  it("names the missing input, node or field", () => {
    expect(() => renderTemplate("{{input.missing}}", scope)).toThrow(
      new TemplateError('{{input.missing}}: the run has no input "missing"'),
    );
    expect(() => renderTemplate("{{other.text}}", scope)).toThrow(/node "other" has not produced output/);
    expect(() => renderTemplate("{{llm.usage.total}}", scope)).toThrow(/node "llm" has no field "usage.total"/);
  });

  it("does not read inherited properties", () => {
    expect(() => renderTemplate("{{input.constructor}}", scope)).toThrow(TemplateError);
  });
});

describe("placeholders", () => {
  it("lists each placeholder with its source and path", () => {
    expect(placeholders("{{input.a}} and {{ node-1.out.x }}")).toEqual([
      { raw: "{{input.a}}", source: "input", path: ["a"] },
      { raw: "{{ node-1.out.x }}", source: "node-1", path: ["out", "x"] },
    ]);
  });
});
