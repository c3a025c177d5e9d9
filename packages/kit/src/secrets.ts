import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * Encrypts a secret (a data source password, a model API key) for storage with AES-256-GCM.
 *
 * @remarks The output is `v1:<iv>:<tag>:<ciphertext>` in base64url, so a later key rotation can tell versions apart.
 * The key is derived from the configured secret with SHA-256, so any length of passphrase works.
 */
export function encryptSecret(plain: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(secret), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(":");
}

/** Reverses {@link encryptSecret}; throws when the value was tampered with or another key was used. */
export function decryptSecret(stored: string, secret: string): string {
  const [version, iv, tag, body] = stored.split(":");
  if (version !== "v1" || !iv || !tag || body === undefined) throw new Error("Unrecognised encrypted secret");
  const decipher = createDecipheriv("aes-256-gcm", deriveKey(secret), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}

function deriveKey(secret: string): Buffer {
  return createHash("sha256").update(`ods-secrets:${secret}`).digest();
}
