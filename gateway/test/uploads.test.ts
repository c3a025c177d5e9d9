import { createLogger, LocalObjectStore, signDownloadToken, signUploadToken } from "@ods/kit";
import express from "express";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uploadRoutes } from "../src/routes/uploads.js";

const secret = "uploads-test-secret-0123456789abcdef";
let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ods-uploads-"));
  const app = express();
  app.use(
    "/objects",
    uploadRoutes({ store: new LocalObjectStore(dir), internalSecret: secret, logger: createLogger("test", "silent") }),
  );
  server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/objects`;
});

afterAll(async () => {
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("upload and download URLs", () => {
  it("stores an upload, then serves it whole and by range", async () => {
    const body = "0123456789".repeat(10);
    const { token } = await signUploadToken(secret, {
      key: "uploads/a/data.csv",
      size: body.length,
      contentType: "text/csv",
    });
    const put = await fetch(`${base}/upload/${token}`, { method: "PUT", body });
    expect(put.status).toBe(201);
    const download = await signDownloadToken(secret, { key: "uploads/a/data.csv", fileName: "data.csv" }, 60);
    const whole = await fetch(`${base}/download/${download.token}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-disposition")).toContain("data.csv");
    expect(await whole.text()).toBe(body);
    const part = await fetch(`${base}/download/${download.token}`, { headers: { range: "bytes=10-19" } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe("0123456789");
  });

  it("refuses more bytes than the token allows, and forged or swapped tokens", async () => {
    const { token } = await signUploadToken(secret, {
      key: "uploads/b/x.bin",
      size: 4,
      contentType: "application/octet-stream",
    });
    const tooBig = await fetch(`${base}/upload/${token}`, { method: "PUT", body: "way more than four bytes" });
    expect(tooBig.status).toBeGreaterThanOrEqual(400);
    const forged = await fetch(`${base}/upload/not-a-token`, { method: "PUT", body: "x" });
    expect(forged.status).toBe(400);
    // An upload token does not open a download.
    const asDownload = await fetch(`${base}/download/${token}`);
    expect(asDownload.status).toBeGreaterThanOrEqual(400);
  });
});
