import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, isStale, reencryptColumn, reencryptSecret, secretKeyring } from "./secrets.js";

/** A value in the original `v1` format (no key id), as stored before key rotation existed. */
function encryptV1(plain: string, secret: string): string {
  const iv = randomBytes(12);
  const key = createHash("sha256").update(`ods-secrets:${secret}`).digest();
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(
    ":",
  );
}

describe("secrets at rest", () => {
  it("round-trips and never stores the clear text", () => {
    const stored = encryptSecret("sk-very-secret", "key-one");
    expect(stored).not.toContain("sk-very-secret");
    expect(stored.startsWith("v2:")).toBe(true);
    expect(decryptSecret(stored, "key-one")).toBe("sk-very-secret");
  });

  it("uses a fresh IV each time", () => {
    expect(encryptSecret("same", "k")).not.toBe(encryptSecret("same", "k"));
  });

  it("refuses a wrong key or a tampered value", () => {
    const stored = encryptSecret("secret", "key-one");
    expect(() => decryptSecret(stored, "key-two")).toThrow(/not configured/);
    const parts = stored.split(":");
    parts[4] = Buffer.from("tampered").toString("base64url");
    expect(() => decryptSecret(parts.join(":"), "key-one")).toThrow();
  });
});

describe("key rotation", () => {
  it("decrypts values under a previous key, and re-encrypts them under the new one", () => {
    const old = encryptSecret("db-password", "old-key");
    const ring = secretKeyring("new-key", "old-key, older-key");
    expect(ring).toEqual(["new-key", "old-key", "older-key"]);
    expect(decryptSecret(old, ring)).toBe("db-password");
    expect(isStale(old, ring)).toBe(true);
    const rotated = reencryptSecret(old, ring)!;
    expect(isStale(rotated, ring)).toBe(false);
    expect(reencryptSecret(rotated, ring)).toBeNull();
    // Once rotated, the old key can go.
    expect(decryptSecret(rotated, "new-key")).toBe("db-password");
    expect(() => decryptSecret(rotated, "old-key")).toThrow();
  });

  it("still reads the v1 format, and counts it as stale", () => {
    const v1 = encryptV1("api-key-123", "old-key");
    const ring = secretKeyring("new-key", "old-key");
    expect(decryptSecret(v1, ring)).toBe("api-key-123");
    expect(isStale(v1, ring)).toBe(true);
    expect(decryptSecret(reencryptSecret(v1, ring)!, "new-key")).toBe("api-key-123");
  });
});

describe("reencryptColumn", () => {
  it("moves every stored secret to the current key, once, leaving empty ones alone", async () => {
    const { MikroORM, EntitySchema } = await import("@mikro-orm/core");
    const { BetterSqliteDriver } = await import("@mikro-orm/better-sqlite");
    interface Row {
      id: string;
      secret: string | null;
    }
    const schema = new EntitySchema<Row>({
      name: "SecretRow",
      tableName: "secret_row",
      properties: { id: { type: "string", primary: true }, secret: { type: "text", nullable: true } },
    });
    const orm = await MikroORM.init({ driver: BetterSqliteDriver, dbName: ":memory:", entities: [schema] });
    try {
      await orm.schema.createSchema();
      const em = orm.em.fork();
      await em.insertMany(schema, [
        { id: "a", secret: encryptSecret("alpha", "old-key") },
        { id: "b", secret: encryptV1("beta", "old-key") },
        { id: "c", secret: null },
        { id: "d", secret: encryptSecret("delta", "new-key") },
      ]);
      const ring = secretKeyring("new-key", "old-key");
      expect(await reencryptColumn(orm.em.fork(), schema, "secret", ring)).toBe(2);
      expect(await reencryptColumn(orm.em.fork(), schema, "secret", ring)).toBe(0);
      const rows = await orm.em.fork().find(schema, {}, { orderBy: { id: "asc" } });
      expect(rows.map((r) => (r.secret ? decryptSecret(r.secret, "new-key") : null))).toEqual([
        "alpha",
        "beta",
        null,
        "delta",
      ]);
    } finally {
      await orm.close();
    }
  });
});
