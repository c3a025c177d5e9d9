import { describe, expect, it } from "vitest";
import { usageCsv } from "./csv.js";
import { groupUsage, percentile, totals, type UsageFacts } from "./stats.js";

const row = (over: Partial<UsageFacts>): UsageFacts => ({
  userId: "u1",
  apiKeyId: null,
  modelId: "m1",
  modelName: "tiny",
  promptTokens: 10,
  completionTokens: 5,
  ttftMs: 20,
  latencyMs: 100,
  status: "ok",
  cost: 0.1,
  createdAt: new Date("2026-01-02T10:00:00Z"),
  ...over,
});

describe("usage statistics", () => {
  it("takes nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it("sums tokens, errors and cost, and leaves ttft null when no call measured it", () => {
    const t = totals([row({}), row({ status: "error", ttftMs: null, cost: 0.2 }), row({ status: "cancelled" })]);
    expect(t).toMatchObject({ requests: 3, promptTokens: 30, completionTokens: 15, errors: 1, cancelled: 1 });
    expect(t.cost).toBe(0.4);
    expect(totals([row({ ttftMs: null })]).ttftP50Ms).toBeNull();
  });

  it("groups by day and user, in key order, and writes CSV with quoted cells", () => {
    const rows = [
      row({ userId: "u2" }),
      row({ userId: "u1", createdAt: new Date("2026-01-03T01:00:00Z") }),
      row({ userId: "u1" }),
    ];
    const groups = groupUsage(rows, ["DAY", "USER"]);
    expect(groups.map((g) => [g.day, g.userId, g.requests, g.modelId])).toEqual([
      ["2026-01-02", "u1", 1, null],
      ["2026-01-02", "u2", 1, null],
      ["2026-01-03", "u1", 1, null],
    ]);
    const csv = usageCsv(groupUsage([row({ modelName: 'a,"b"' }), row({ modelName: "=cmd" })], ["MODEL"]), ["MODEL"]);
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "modelId,modelName,requests,promptTokens,completionTokens,errors,cancelled,cost,latencyP50Ms,latencyP95Ms," +
        "latencyP99Ms,ttftP50Ms,ttftP95Ms",
    );
    // One model id: the newest name wins, and a formula-like name is neutralised.
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe("m1,'=cmd,2,20,10,0,0,0.2,100,100,100,20,20");
    expect(usageCsv(groupUsage([row({ modelName: 'a,"b"' })], ["MODEL"]), ["MODEL"])).toContain('"a,""b"""');
  });
});
