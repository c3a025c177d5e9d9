import { describe, expect, it } from "vitest";
import { tableNameOf } from "./table-name.js";

describe("tableNameOf", () => {
  it("lowercases and turns punctuation and spaces into underscores", () => {
    expect(tableNameOf("Sales 2024.csv")).toBe("sales_2024_csv");
    expect(tableNameOf("Customer-Orders (EU)")).toBe("customer_orders_eu");
  });

  it("collapses runs and trims underscores at the ends", () => {
    expect(tableNameOf("  a -- b  ")).toBe("a_b");
    expect(tableNameOf("__x__")).toBe("x");
  });

  it("starts with a letter", () => {
    expect(tableNameOf("2024 sales")).toBe("t_2024_sales");
    expect(tableNameOf("_9")).toBe("t_9");
  });

  it("falls back to a fixed name when nothing alphanumeric is left", () => {
    expect(tableNameOf("销售数据")).toBe("dataset");
    expect(tableNameOf("!!!")).toBe("dataset");
  });

  it("stays within the 63 characters PostgreSQL keeps of an identifier", () => {
    expect(tableNameOf("a".repeat(200))).toHaveLength(63);
  });
});
