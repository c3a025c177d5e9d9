import { AppError } from "@ods/kit";
import { describe, expect, it } from "vitest";
import { placeholders, renderTemplate } from "./render.js";

describe("prompt template rendering", () => {
  it("lists placeholders once, in order of appearance", () => {
    expect(placeholders("{{b}} and {{ a }} then {{b}} and {{user.name}}")).toEqual(["b", "a", "user.name"]);
  });

  it("fills placeholders, inserting values as text and non-strings as JSON", () => {
    const out = renderTemplate("Hi {{ name }}, you have {{count}} items: {{list}}", ["name", "count", "list"], {
      name: "{{count}}",
      count: 3,
      list: ["a", "b"],
    });
    expect(out).toBe('Hi {{count}}, you have 3 items: ["a","b"]');
  });

  it("names every missing variable", () => {
    try {
      renderTemplate("{{a}} {{b}} {{c}}", ["a", "b", "c"], { b: "x" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("BAD_USER_INPUT");
      expect((err as AppError).message).toBe("Missing template variables: a, c");
    }
  });

  it("refuses a value for a variable the template does not have", () => {
    expect(() => renderTemplate("{{a}}", ["a"], { a: 1, typo: 2 })).toThrow(/Unknown template variable: typo/);
  });
});
