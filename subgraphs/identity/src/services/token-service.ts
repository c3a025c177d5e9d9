import type { EntityManager } from "@mikro-orm/core";
import { decryptSecret, encryptSecret, type Role } from "@ods/kit";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type CryptoKey } from "jose";
import { randomUUID } from "node:crypto";
import { SigningKey } from "../entities/index.js";

export const ACCESS_TOKEN_ISSUER = "one-data-studio";
export const ACCESS_TOKEN_AUDIENCE = "one-data-studio";
const ALG = "ES256";

export interface IssuedToken {
  accessToken: string;
  expiresAt: Date;
}

/**
 * Issues short-lived access tokens signed with an ES256 key and publishes the public half as a JWKS, which
 * the gateway reads to verify tokens without calling this service on every request.
 */
export class TokenService {
  private key?: { kid: string; privateKey: CryptoKey; publicJwk: JWK };

  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  /** Loads the signing key, creating one on first start. */
  async init(em: EntityManager): Promise<void> {
    let [stored] = await em.find(SigningKey, {}, { orderBy: { createdAt: "desc" }, limit: 1 });
    if (!stored) {
      const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
      const kid = randomUUID();
      stored = em.create(SigningKey, {
        kid,
        privateJwkEncrypted: encryptSecret(JSON.stringify(await exportJWK(privateKey)), this.secret),
        publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALG, use: "sig" },
      });
      await em.persistAndFlush(stored);
    }
    const privateJwk = JSON.parse(decryptSecret(stored.privateJwkEncrypted, this.secret)) as JWK;
    this.key = {
      kid: stored.kid,
      privateKey: (await importJWK(privateJwk, ALG)) as CryptoKey,
      publicJwk: stored.publicJwk as JWK,
    };
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.key ? [this.key.publicJwk] : [] };
  }

  async issue(user: { id: string; email: string; roles: Role[] }): Promise<IssuedToken> {
    if (!this.key) throw new Error("TokenService.init() was not called");
    const expiresAt = new Date(Date.now() + this.ttlSeconds * 1000);
    const accessToken = await new SignJWT({ email: user.email, roles: user.roles })
      .setProtectedHeader({ alg: ALG, kid: this.key.kid, typ: "JWT" })
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key.privateKey);
    return { accessToken, expiresAt };
  }
}
