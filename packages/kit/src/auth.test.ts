import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { signInternalToken, verifyInternalToken } from "./auth.js";

const secret = "s".repeat(40);

describe("internal tokens", () => {
  it("carry the caller from the gateway to a subgraph", async () => {
    const token = await signInternalToken(secret, { userId: "u1", email: "a@b.c", roles: ["editor"] });
    await expect(verifyInternalToken(secret, token)).resolves.toMatchObject({
      userId: "u1",
      email: "a@b.c",
      roles: ["editor"],
    });
  });

  it("mark anonymous callers as having no user", async () => {
    const token = await signInternalToken(secret, { roles: [] });
    expect((await verifyInternalToken(secret, token)).userId).toBeUndefined();
  });

  it("refuse a missing, forged, expired or differently signed token", async () => {
    await expect(verifyInternalToken(secret, undefined)).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
    });
    const other = await signInternalToken("o".repeat(40), { userId: "u1", roles: ["admin"] });
    await expect(verifyInternalToken(secret, other)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
    const expired = await new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("ods-gateway")
      .setAudience("ods-subgraphs")
      .setSubject("u1")
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode(secret));
    await expect(verifyInternalToken(secret, expired)).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
    });
    await expect(verifyInternalToken(secret, "not.a.token")).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
    });
  });
});
