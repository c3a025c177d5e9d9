import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, loadConfig, port } from "./config.js";

const secret = "x".repeat(32);

describe("loadConfig", () => {
  it("applies the embedded profile's defaults", () => {
    const config = loadConfig({ ODS_TEST_PORT: port(4321) }, { ODS_INTERNAL_SECRET: secret });
    expect(config.ODS_DATA_DIR).toBe(".data");
    expect(config.ODS_TEST_PORT).toBe(4321);
    expect(config.ODS_REDIS_URL).toBeUndefined();
  });

  it("reports every invalid variable at once, by name", () => {
    const attempt = () =>
      loadConfig(
        { ODS_TEST_PORT: port(1), ODS_FLAG: z.enum(["a", "b"]) },
        { ODS_INTERNAL_SECRET: "short", ODS_TEST_PORT: "99999", ODS_DATABASE_URL: "oracle://x", ODS_FLAG: "c" },
      );
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const issues = (err as ConfigError).issues.join("\n");
      for (const name of ["ODS_INTERNAL_SECRET", "ODS_TEST_PORT", "ODS_DATABASE_URL", "ODS_FLAG"])
        expect(issues).toContain(name);
    }
  });

  it("treats empty values as unset", () => {
    expect(loadConfig({}, { ODS_INTERNAL_SECRET: secret, ODS_REDIS_URL: "" }).ODS_REDIS_URL).toBeUndefined();
  });
});
