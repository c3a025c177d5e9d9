import { describe, expect, it } from "vitest";
import { loadGatewayConfig } from "../config.js";
import { securitySettings } from "./settings.js";

const base = { ODS_INTERNAL_SECRET: "s".repeat(32) };

describe("security settings", () => {
  it("hides the schema and tightens rate limits in production", () => {
    const s = securitySettings(loadGatewayConfig({ ...base, NODE_ENV: "production" }));
    expect(s).toMatchObject({
      introspection: false,
      suggestions: false,
      batching: { enabled: false },
      trustedDocuments: { enabled: false },
      rateLimit: { enabled: true, requests: { limit: 600, windowSeconds: 60 }, login: { limit: 20 } },
    });
  });

  it("keeps the schema visible in development, and every value can be set", () => {
    expect(securitySettings(loadGatewayConfig(base))).toMatchObject({ introspection: true, suggestions: true });
    const s = securitySettings(
      loadGatewayConfig({
        ...base,
        NODE_ENV: "production",
        ODS_GRAPHQL_INTROSPECTION: "true",
        ODS_GRAPHQL_BATCHING: "true",
        ODS_GRAPHQL_FIELD_COSTS: "Query.runSql=50, Mutation.askData = 20",
        ODS_TRUSTED_DOCUMENTS: "true",
        ODS_TRUSTED_DOCUMENTS_PATH: "/a.json, /b.json",
        ODS_RATE_LIMIT_LOGIN: "5",
      }),
    );
    expect(s.introspection).toBe(true);
    expect(s.batching.enabled).toBe(true);
    expect(s.limits.fieldCosts).toEqual({ "Query.runSql": 50, "Mutation.askData": 20 });
    expect(s.trustedDocuments).toEqual({ enabled: true, paths: ["/a.json", "/b.json"] });
    expect(s.rateLimit.login.limit).toBe(5);
  });

  it("reports malformed settings by name", () => {
    expect(() => loadGatewayConfig({ ...base, ODS_GRAPHQL_FIELD_COSTS: "runSql:50", ODS_BODY_LIMIT: "lots" })).toThrow(
      /ODS_GRAPHQL_FIELD_COSTS[\s\S]*ODS_BODY_LIMIT|ODS_BODY_LIMIT[\s\S]*ODS_GRAPHQL_FIELD_COSTS/,
    );
  });
});
