import express from "express";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inlineScriptHashes, useSecurityHeaders } from "./use-security-headers.js";

/** A GET with an explicit Host header (fetch cannot set one). */
const get = (port: number, path: string, host: string) =>
  new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
    request({ host: "127.0.0.1", port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.headers);
    })
      .on("error", reject)
      .end();
  });

describe("security headers", () => {
  it("hashes the inline start-up script of the built app into script-src", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ods-web-"));
    const script = "\n  __sveltekit_x = { base: '' };\n  import('./app.js');\n";
    writeFileSync(
      join(dir, "index.html"),
      `<html><head><script type="module" src="/app.js"></script></head><body><script>${script}</script></body></html>`,
    );
    const expected = `'sha256-${createHash("sha256").update(script).digest("base64")}'`;
    expect(inlineScriptHashes(`<script>${script}</script><script src="x.js"></script>`)).toEqual([expected]);

    const app = express();
    app.use(useSecurityHeaders({ webDir: dir }));
    app.get("/{*path}", (_req, res) => {
      res.send("ok");
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as AddressInfo).port;
    try {
      const local = await get(port, "/", `localhost:${port}`);
      expect(local["content-security-policy"]).toContain(`script-src 'self' ${expected}`);
      expect(local["content-security-policy"]).toContain("frame-ancestors 'none'");
      expect(local["x-content-type-options"]).toBe("nosniff");
      expect(local["x-frame-options"]).toBe("DENY");
      expect(local["referrer-policy"]).toBe("same-origin");
      expect(local["cross-origin-opener-policy"]).toBe("same-origin");
      expect(local["strict-transport-security"]).toBeUndefined();
      expect((await get(port, "/", "127.0.0.1"))["strict-transport-security"]).toBeUndefined();
      expect((await get(port, "/api", "studio.example.com"))["strict-transport-security"]).toMatch(/max-age=31536000/);
    } finally {
      server.close();
    }
  });
});
