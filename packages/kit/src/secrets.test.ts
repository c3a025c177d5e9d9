import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret } from "./secrets.js";

describe("secrets at rest", () => {
  it("round-trips and never stores the clear text", () => {
    const stored = encryptSecret("sk-very-secret", "key-one");
    expect(stored).not.toContain("sk-very-secret");
    expect(stored.startsWith("v1:")).toBe(true);
    expect(decryptSecret(stored, "key-one")).toBe("sk-very-secret");
  });

  it("uses a fresh IV each time", () => {
    expect(encryptSecret("same", "k")).not.toBe(encryptSecret("same", "k"));
  });

  it("refuses a wrong key or a tampered value", () => {
    const stored = encryptSecret("secret", "key-one");
    expect(() => decryptSecret(stored, "key-two")).toThrow();
    const parts = stored.split(":");
    parts[3] = Buffer.from("tampered").toString("base64url");
    expect(() => decryptSecret(parts.join(":"), "key-one")).toThrow();
  });
});
