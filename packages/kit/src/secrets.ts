import type { EntityManager, EntityName } from "@mikro-orm/core";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * The keys that protect stored secrets: the first encrypts, every one decrypts. A single string is a keyring of
 * one. Rotating means putting the new key first and keeping the old ones until {@link isStale} finds no value
 * left under them (each subgraph re-encrypts its stored secrets at start; see `ODS_SECRET_KEY_PREVIOUS`).
 */
export type SecretKeys = string | readonly string[];

/**
 * Encrypts a secret (a data source password, a model API key) for storage with AES-256-GCM under the current
 * key (the first of `keys`).
 *
 * @remarks The output is `v2:<key id>:<iv>:<tag>:<ciphertext>` in base64url, where the key id is a short hash of
 * the key, so decryption goes straight to the right key and stale values can be found. The key is derived from
 * the configured secret with SHA-256, so any length of passphrase works. `v1:` values (no key id) still decrypt.
 */
export function encryptSecret(plain: string, keys: SecretKeys): string {
  const key = keyring(keys)[0]!;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(key), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v2", keyId(key), iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(":");
}

/** Reverses {@link encryptSecret} with whichever of `keys` encrypted it; throws when tampered with or no key fits. */
export function decryptSecret(stored: string, keys: SecretKeys): string {
  const parsed = parse(stored);
  const ring = keyring(keys);
  const candidates = parsed.keyId ? ring.filter((k) => keyId(k) === parsed.keyId) : ring;
  if (candidates.length === 0) throw new Error("This secret was encrypted with a key that is not configured");
  let last: unknown;
  for (const key of candidates) {
    try {
      const decipher = createDecipheriv("aes-256-gcm", deriveKey(key), Buffer.from(parsed.iv, "base64url"));
      decipher.setAuthTag(Buffer.from(parsed.tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(parsed.body, "base64url")), decipher.final()]).toString("utf8");
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/** True when `stored` is not encrypted under the current key (an old key, or the key-less `v1` format). */
export function isStale(stored: string, keys: SecretKeys): boolean {
  return parse(stored).keyId !== keyId(keyring(keys)[0]!);
}

/** `stored` encrypted again under the current key when it is stale, or null when it is current already. */
export function reencryptSecret(stored: string, keys: SecretKeys): string | null {
  return isStale(stored, keys) ? encryptSecret(decryptSecret(stored, keys), keys) : null;
}

/** The keyring from settings: the current key, then the previous ones (comma-separated), blanks dropped. */
export function secretKeyring(current: string, previous?: string | null): string[] {
  return [current, ...(previous ?? "").split(",").map((k) => k.trim())].filter(
    (k, i, all) => k && all.indexOf(k) === i,
  );
}

function keyring(keys: SecretKeys): readonly string[] {
  const ring = typeof keys === "string" ? [keys] : keys;
  if (ring.length === 0) throw new Error("No secret key is configured");
  return ring;
}

function parse(stored: string): { keyId: string | null; iv: string; tag: string; body: string } {
  const parts = stored.split(":");
  if (parts[0] === "v2" && parts.length === 5) {
    return { keyId: parts[1]!, iv: parts[2]!, tag: parts[3]!, body: parts[4]! };
  }
  if (parts[0] === "v1" && parts.length === 4) return { keyId: null, iv: parts[1]!, tag: parts[2]!, body: parts[3]! };
  throw new Error("Unrecognised encrypted secret");
}

/** A short, non-secret fingerprint of a key (8 bytes of a hash under a different label than the key's). */
function keyId(secret: string): string {
  return createHash("sha256").update(`ods-secrets-id:${secret}`).digest().subarray(0, 8).toString("base64url");
}

function deriveKey(secret: string): Buffer {
  return createHash("sha256").update(`ods-secrets:${secret}`).digest();
}

/**
 * Re-encrypts one column of stored secrets under the current key (run at start-up after a key rotation): every
 * row whose value is stale is rewritten, conditionally on still holding the value read, so two replicas starting
 * together do not overwrite each other's work.
 *
 * @returns how many rows were rewritten
 */
export async function reencryptColumn<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  field: keyof T & string,
  keys: SecretKeys,
): Promise<number> {
  if (keyring(keys).length < 2) return 0; // only one key: nothing can be under another one (v1 values aside)
  const rows = (await em.find(entity, { [field]: { $ne: null } } as never, {
    fields: ["id", field] as never,
  })) as Record<string, string>[];
  let changed = 0;
  for (const row of rows) {
    const next = reencryptSecret(row[field]!, keys);
    if (next === null) continue;
    changed += await em.nativeUpdate(entity, { id: row.id, [field]: row[field] } as never, { [field]: next } as never);
  }
  return changed;
}
