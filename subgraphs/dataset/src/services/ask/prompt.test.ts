import { describe, expect, it } from "vitest";
import type { CatalogTableInfo } from "../sql/types.js";
import { parseAnswer, rankTables } from "./prompt.js";

const table = (name: string, columns: string[], comment?: string): CatalogTableInfo => ({
  name,
  comment: comment ?? null,
  columns: columns.map((c) => ({ name: c, type: "text", nullable: true, primaryKey: false })),
});

describe("rankTables", () => {
  const many = [
    ...Array.from({ length: 20 }, (_, i) => table(`misc_${i}`, ["id", "value"])),
    table("customer_orders", ["order_id", "amount"]),
    table("t_xs", ["cs", "je"], "销售记录"),
  ];

  it("keeps every table when there are few", () => {
    expect(rankTables(many.slice(0, 3), "anything")).toHaveLength(3);
  });

  it("ranks by table and column names, plural or not", () => {
    expect(rankTables(many, "total amount of orders per customer", 2)[0]!.name).toBe("customer_orders");
  });

  it("matches Chinese questions against comments", () => {
    expect(rankTables(many, "每个城市的销售总额", 1)[0]!.name).toBe("t_xs");
  });
});

describe("parseAnswer", () => {
  it("takes the sql fence and the text around it", () => {
    expect(parseAnswer("Sums it.\n```sql\nSELECT 1\n```\nDone.")).toEqual({
      sql: "SELECT 1",
      explanation: "Sums it. Done.",
    });
    expect(parseAnswer("```\nselect 2\n```")).toEqual({ sql: "select 2", explanation: "" });
    expect(parseAnswer("```text\nnote\n```\n```sql\nselect 3\n```")?.sql).toBe("select 3");
  });

  it("accepts a bare statement and rejects prose", () => {
    expect(parseAnswer("SELECT 1")).toEqual({ sql: "SELECT 1", explanation: "" });
    expect(parseAnswer("I cannot help with that.")).toBeUndefined();
  });
});
