import { describe, expect, it } from "vitest";
import { defaultRowTemplate, renderTemplate } from "./template.js";

describe("renderTemplate", () => {
  it("fills placeholders, with or without spaces inside the braces", () => {
    expect(
      renderTemplate("{{name}} costs {{ price }} ({{  currency}})", { name: "Lamp", price: 12, currency: "EUR" }),
    ).toBe("Lamp costs 12 (EUR)");
  });

  it("renders missing and null values as nothing, objects as JSON", () => {
    expect(renderTemplate("[{{a}}][{{b}}][{{c}}][{{d}}]", { b: null, c: { x: 1 }, d: [1, "two"] })).toBe(
      '[][][{"x":1}][[1,"two"]]',
    );
  });

  it("reads column names with spaces and dotted paths into nested objects", () => {
    const row = { "product name": "Desk", address: { city: "Oslo" }, "a.b": "flat" };
    expect(renderTemplate("{{ product name }} in {{address.city}}, {{a.b}}", row)).toBe("Desk in Oslo, flat");
  });

  it("keeps text that only looks like a placeholder", () => {
    expect(renderTemplate("{ {x} } {x}", { x: 1 })).toBe("{ {x} } {x}");
  });
});

describe("defaultRowTemplate", () => {
  it("gives one `col: {{col}}` line per column", () => {
    const template = defaultRowTemplate(["sku", "unit price"]);
    expect(template).toBe("sku: {{sku}}\nunit price: {{unit price}}");
    expect(renderTemplate(template, { sku: "XK-2291", "unit price": 9.5 })).toBe("sku: XK-2291\nunit price: 9.5");
  });
});
