import type { EntityManager } from "@mikro-orm/core";
import { decryptSecret, encryptSecret, type Role } from "@ods/kit";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type CryptoKey } from "jose";
import { randomUUID } from "node:crypto";
import { SigningKey } from "../entities/index.js";

export const ACCESS_TOKEN_ISSUER = "one-data-studio";
export const ACCESS_TOKEN_AUDIENCE = "one-data-studio";
const ALG = "ES256";
/** How often a replica rereads the keys, so a rotation made on another replica reaches it. */
const RELOAD_MS = 30_000;

export interface IssuedToken {
  accessToken: string;
  expiresAt: Date;
}

interface LoadedKey {
  kid: string;
  createdAt: Date;
  retiredAt?: Date | null;
  publicJwk: JWK;
  privateKey?: CryptoKey;
}

/**
 * Issues short-lived access tokens signed with an ES256 key and publishes the public halves as a JWKS, which
 * the gateway reads to verify tokens without calling this service on every request.
 *
 * @remarks Rotation ({@link rotate}) makes a new key the signer and retires the old one; retired keys stay in the
 * JWKS for one access-token lifetime (plus a minute), so tokens they signed verify until they expire.
 */
export class TokenService {
  private keys: LoadedKey[] = [];
  private loadedAt = 0;

  constructor(
    private readonly secret: string,
    readonly ttlSeconds: number,
  ) {}

  /** Loads the signing keys, creating the first on first start. */
  async init(em: EntityManager): Promise<void> {
    if ((await em.count(SigningKey, {})) === 0) await this.create(em);
    await this.load(em);
  }

  /** Rereads the keys when the copy in memory is older than 30 s. */
  async sync(em: EntityManager): Promise<void> {
    if (Date.now() - this.loadedAt > RELOAD_MS) await this.load(em.fork());
  }

  /** Makes a new key the signer; the previous ones keep verifying until their tokens have expired. */
  async rotate(em: EntityManager): Promise<{ kid: string; createdAt: Date }> {
    const now = new Date();
    await em.nativeUpdate(SigningKey, { retiredAt: null }, { retiredAt: now });
    const key = await this.create(em);
    await this.load(em);
    return { kid: key.kid, createdAt: key.createdAt };
  }

  jwks(): { keys: JWK[] } {
    const keep = Date.now() - (this.ttlSeconds + 60) * 1000;
    return {
      keys: this.keys.filter((k) => !k.retiredAt || k.retiredAt.getTime() > keep).map((k) => k.publicJwk),
    };
  }

  /** The key that signs now: the newest one. */
  get currentKid(): string | undefined {
    return this.keys[0]?.kid;
  }

  async issue(user: { id: string; email: string; roles: Role[] }, sessionId?: string): Promise<IssuedToken> {
    const key = this.keys[0];
    if (!key?.privateKey) throw new Error("TokenService.init() was not called");
    const expiresAt = new Date(Date.now() + this.ttlSeconds * 1000);
    const accessToken = await new SignJWT({
      email: user.email,
      roles: user.roles,
      ...(sessionId ? { sid: sessionId } : {}),
    })
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: "JWT" })
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(key.privateKey);
    return { accessToken, expiresAt };
  }

  private async create(em: EntityManager): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = randomUUID();
    const stored = em.create(SigningKey, {
      kid,
      privateJwkEncrypted: encryptSecret(JSON.stringify(await exportJWK(privateKey)), this.secret),
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALG, use: "sig" },
    });
    await em.persistAndFlush(stored);
    return stored;
  }

  private async load(em: EntityManager): Promise<void> {
    const stored = await em.find(SigningKey, {}, { orderBy: { createdAt: "desc", kid: "asc" } });
    const known = new Map(this.keys.map((k) => [k.kid, k]));
    this.keys = await Promise.all(
      stored.map(async (row, i): Promise<LoadedKey> => {
        const loaded = known.get(row.kid);
        // Only the signer's private half is decrypted; the others only verify.
        const privateKey =
          i === 0
            ? (loaded?.privateKey ??
              ((await importJWK(
                JSON.parse(decryptSecret(row.privateJwkEncrypted, this.secret)) as JWK,
                ALG,
              )) as CryptoKey))
            : undefined;
        return {
          kid: row.kid,
          createdAt: row.createdAt,
          retiredAt: row.retiredAt,
          publicJwk: row.publicJwk as JWK,
          privateKey,
        };
      }),
    );
    this.loadedAt = Date.now();
  }
}
