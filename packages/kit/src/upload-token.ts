import { SignJWT, jwtVerify } from "jose";
import { badInput } from "./errors.js";

/** What an upload URL allows: one object at `key`, at most `size` bytes. */
export interface UploadGrant {
  key: string;
  size: number;
  contentType: string;
}

const AUDIENCE = "ods-upload";

/**
 * Signs the token inside an upload URL (`PUT /objects/upload/<token>` on the gateway), the embedded profile's
 * equivalent of an S3 presigned PUT: whoever holds the URL may write that one key, with that size, until it expires.
 */
export async function signUploadToken(
  secret: string,
  grant: UploadGrant,
  ttlSeconds = 3600,
): Promise<{ token: string; expiresAt: Date }> {
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  const token = await new SignJWT({ key: grant.key, size: grant.size, ct: grant.contentType })
    .setProtectedHeader({ alg: "HS256" })
    .setAudience(AUDIENCE)
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(new TextEncoder().encode(secret));
  return { token, expiresAt };
}

/** Verifies an upload token; BAD_USER_INPUT when it is forged or expired. */
export async function verifyUploadToken(secret: string, token: string): Promise<UploadGrant> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      audience: AUDIENCE,
      algorithms: ["HS256"],
    });
    return { key: payload.key as string, size: payload.size as number, contentType: payload.ct as string };
  } catch {
    throw badInput("This upload URL is invalid or has expired; ask for a new one with createUploadUrl");
  }
}
