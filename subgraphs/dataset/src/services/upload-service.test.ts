import { LocalObjectStore, S3ObjectStore, verifyUploadToken } from "@ods/kit";
import { describe, expect, it } from "vitest";
import { sanitiseFileName, UploadService } from "./upload-service.js";

const secret = "upload-service-test-secret-0123456789";

describe("UploadService", () => {
  it("grants a gateway upload URL for the local store", async () => {
    const uploads = new UploadService(secret, 1000, new LocalObjectStore("/tmp/ods-not-used"));
    const target = await uploads.createUploadUrl({ fileName: "Sales 2024.csv", contentType: "text/csv", size: 10 });
    expect(target.url).toMatch(/^\/objects\/upload\//);
    const grant = await verifyUploadToken(secret, target.url.split("/").pop()!);
    expect(grant).toEqual({ key: target.key, size: 10, contentType: "text/csv" });
    expect(target.key).toMatch(/^uploads\/[0-9a-f-]{36}\/Sales_2024\.csv$/);
  });

  it("grants a presigned PUT straight to the bucket when the store is S3", async () => {
    // Presigning is local computation: no server needs to answer for the URL to be made.
    const store = new S3ObjectStore({
      endpoint: "http://127.0.0.1:9",
      accessKey: "key",
      secretKey: "secret-key",
      bucket: "lake",
    });
    const target = await new UploadService(secret, 1000, store).createUploadUrl({
      fileName: "a.csv",
      contentType: "text/csv",
      size: 10,
    });
    const url = new URL(target.url);
    expect(url.origin).toBe("http://127.0.0.1:9");
    expect(url.pathname).toBe(`/lake/${target.key}`);
    expect(url.searchParams.get("X-Amz-Signature")).toBeTruthy();
  });

  it("refuses sizes over the limit with BAD_USER_INPUT", async () => {
    const uploads = new UploadService(secret, 1000);
    await expect(
      uploads.createUploadUrl({ fileName: "a.csv", contentType: "text/csv", size: 1001 }),
    ).rejects.toMatchObject({
      extensions: { code: "BAD_USER_INPUT" },
    });
  });

  it("keeps file names safe", () => {
    expect(sanitiseFileName("../Sales 2024 (final).CSV")).toBe("Sales_2024_final_.CSV");
  });
});
