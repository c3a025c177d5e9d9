import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createObjectStore,
  ErrorCode,
  LocalObjectStore,
  objectDownloadUrl,
  S3ObjectStore,
  signDownloadToken,
  signUploadToken,
  verifyDownloadToken,
  type ObjectStore,
} from "../src/index.js";

const MiB = 1024 * 1024;
const SECRET = "x".repeat(40);
const BUCKET = "ods-contract";

async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Streams `total` pseudo-random bytes in uneven chunks, so no part boundary lines up with a chunk boundary. */
function streamOf(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += 700_001) yield data.subarray(at, at + 700_001);
    })(),
  );
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { extensions?: { code?: string } }).extensions?.code ?? String(err);
  }
}

interface Harness {
  store: ObjectStore;
  /** The keys an external observer sees in the store, to check failed writes leave nothing behind. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

async function startS3rver(): Promise<{ endpoint: string; requests: string[]; stop(): Promise<void> }> {
  const requests: string[] = [];
  const directory = await mkdtemp(join(tmpdir(), "ods-s3-contract-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  // s3rver 3.7.1 lacks ListMultipartUploads (STACK.md pitfall 16); answer it with an empty list, as MinIO would.
  server.middleware.unshift(async (ctx: any, next: () => Promise<void>) => {
    requests.push(`${ctx.method} ${Object.keys(ctx.query).sort().join("&")}`);
    if (ctx.method === "GET" && "uploads" in ctx.query) {
      ctx.type = "application/xml";
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${ctx.path.slice(1)}</Bucket></ListMultipartUploadsResult>`;
      return;
    }
    await next();
  });
  const { port } = (await server.run()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The contract every ObjectStore implementation passes. */
function contract(name: string, start: () => Promise<Harness>) {
  describe(`ObjectStore contract: ${name}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await start();
    });
    afterAll(async () => {
      await h?.close();
    });

    it("answers ping", async () => {
      await expect(h.store.ping()).resolves.toBeUndefined();
    });

    it("round-trips strings, buffers and streams, and stats them", async () => {
      const prefix = `t/${randomUUID()}`;
      const a = await h.store.put(`${prefix}/a.txt`, "héllo");
      expect(a).toMatchObject({ key: `${prefix}/a.txt`, size: Buffer.byteLength("héllo") });
      expect(a.modifiedAt).toBeInstanceOf(Date);
      expect((await read(await h.store.get(`${prefix}/a.txt`))).toString()).toBe("héllo");

      const bytes = randomBytes(100_000);
      await h.store.put(`${prefix}/b.bin`, bytes);
      expect(sha(await read(await h.store.get(`${prefix}/b.bin`)))).toBe(sha(bytes));

      await h.store.put(`${prefix}/c d (1).csv`, streamOf(bytes));
      expect((await h.store.stat(`${prefix}/c d (1).csv`))?.size).toBe(100_000);

      const empty = await h.store.put(`${prefix}/empty`, Buffer.alloc(0));
      expect(empty.size).toBe(0);
      expect((await read(await h.store.get(`${prefix}/empty`))).length).toBe(0);

      // Overwrite replaces the whole object.
      await h.store.put(`${prefix}/a.txt`, "bye");
      expect((await read(await h.store.get(`${prefix}/a.txt`))).toString()).toBe("bye");
    });

    it("round-trips a ~12 MiB object streamed in uneven chunks (multipart with 5 MiB parts on S3)", async () => {
      const key = `big/${randomUUID()}.bin`;
      const data = randomBytes(12 * MiB + 12_345);
      const info = await h.store.put(key, streamOf(data));
      expect(info.size).toBe(data.length);
      expect(sha(await read(await h.store.get(key)))).toBe(sha(data));
      // Ranges that straddle part boundaries.
      const slice = await read(await h.store.get(key, { start: 5 * MiB - 10, end: 10 * MiB + 9 }));
      expect(slice.equals(data.subarray(5 * MiB - 10, 10 * MiB + 10))).toBe(true);
      await h.store.delete(key);
    });

    it("reads byte ranges with an inclusive end, like a file read", async () => {
      const key = `r/${randomUUID()}.txt`;
      await h.store.put(key, "0123456789");
      const range = async (start: number, end?: number) =>
        (await read(await h.store.get(key, { start, end }))).toString();
      expect(await range(0, 0)).toBe("0");
      expect(await range(2, 5)).toBe("2345");
      expect(await range(7)).toBe("789");
      expect(await range(0)).toBe("0123456789");
      expect(await range(8, 100)).toBe("89");
      expect(await range(10)).toBe("");
    });

    it("says NOT_FOUND for a missing key and undefined from stat; delete is idempotent", async () => {
      const key = `missing/${randomUUID()}.csv`;
      expect(await h.store.stat(key)).toBeUndefined();
      expect(await codeOf(h.store.get(key))).toBe(ErrorCode.NOT_FOUND);
      expect(await codeOf(h.store.get(key, { start: 1, end: 3 }))).toBe(ErrorCode.NOT_FOUND);
      await expect(h.store.delete(key)).resolves.toBeUndefined();

      await h.store.put(key, "x");
      await h.store.delete(key);
      expect(await h.store.stat(key)).toBeUndefined();
    });

    it("refuses unsafe keys with BAD_USER_INPUT before touching the store", async () => {
      for (const key of ["", "/abs", "a/../b", "..", "a//b", "x\u0000y", "a\\b", "k".repeat(513), "q?x=1", "h#f"]) {
        expect(await codeOf(h.store.put(key, "x")), key).toBe(ErrorCode.BAD_USER_INPUT);
        expect(await codeOf(h.store.get(key)), key).toBe(ErrorCode.BAD_USER_INPUT);
        expect(await codeOf(h.store.stat(key)), key).toBe(ErrorCode.BAD_USER_INPUT);
        expect(await codeOf(h.store.delete(key)), key).toBe(ErrorCode.BAD_USER_INPUT);
      }
    });

    it("refuses more than maxBytes and keeps nothing, not even an earlier version's replacement", async () => {
      const key = `limit/${randomUUID()}.bin`;
      expect(await codeOf(h.store.put(key, streamOf(randomBytes(2 * MiB)), { maxBytes: MiB }))).toBe(
        ErrorCode.BAD_USER_INPUT,
      );
      expect(await h.store.stat(key)).toBeUndefined();

      await h.store.put(key, "original");
      expect(await codeOf(h.store.put(key, streamOf(randomBytes(11 * MiB)), { maxBytes: 6 * MiB }))).toBe(
        ErrorCode.BAD_USER_INPUT,
      );
      expect((await read(await h.store.get(key))).toString()).toBe("original");
      expect((await h.keys()).filter((k) => k.startsWith("limit/"))).toEqual([key]);
      await expect(h.store.put(key, "exactly", { maxBytes: 7 })).resolves.toMatchObject({ size: 7 });
    });

    it("keeps nothing when the body stream fails midway", async () => {
      const key = `broken/${randomUUID()}.bin`;
      const body = Readable.from(
        (async function* () {
          yield randomBytes(6 * MiB);
          throw new Error("client went away");
        })(),
      );
      await expect(h.store.put(key, body)).rejects.toThrow();
      expect(await h.store.stat(key)).toBeUndefined();
    });
  });
}

contract("LocalObjectStore", async () => {
  const root = await mkdtemp(join(tmpdir(), "ods-objects-"));
  const store = new LocalObjectStore(root);
  const { readdir } = await import("node:fs/promises");
  return {
    store,
    async keys() {
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
        .sort();
    },
    close: () => rm(root, { recursive: true, force: true }),
  };
});

const s3Options = (endpoint: string) => ({ endpoint, accessKey: "S3RVER", secretKey: "S3RVER", bucket: BUCKET });

contract("S3ObjectStore (s3rver)", async () => {
  const s3 = await startS3rver();
  const store = new S3ObjectStore({ ...s3Options(s3.endpoint), partSize: 5 * MiB });
  const { Client } = await import("minio");
  const url = new URL(s3.endpoint);
  const client = new Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: "S3RVER",
    secretKey: "S3RVER",
    region: "us-east-1",
  });
  return {
    store,
    async keys() {
      const names: string[] = [];
      for await (const item of client.listObjectsV2(BUCKET, "", true)) names.push((item as { name: string }).name);
      return names.sort();
    },
    close: () => s3.stop(),
  };
});

describe("S3ObjectStore specifics (s3rver)", () => {
  let server: Awaited<ReturnType<typeof startS3rver>>;
  let store: S3ObjectStore;
  beforeAll(async () => {
    server = await startS3rver();
    store = new S3ObjectStore({ ...s3Options(server.endpoint), partSize: 5 * MiB });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("uploads in 5 MiB parts above the part size, in one PUT below it, and aborts a failed multipart upload", async () => {
    server.requests.length = 0;
    const data = randomBytes(12 * MiB);
    await store.put(`mp/${randomUUID()}`, streamOf(data));
    expect(server.requests.filter((r) => r === "POST uploads")).toHaveLength(1);
    expect(server.requests.filter((r) => r === "PUT partNumber&uploadId")).toHaveLength(3);
    expect(server.requests.filter((r) => r === "POST uploadId")).toHaveLength(1);

    server.requests.length = 0;
    await store.put(`mp/${randomUUID()}`, streamOf(data.subarray(0, 5 * MiB)));
    expect(server.requests.filter((r) => r.startsWith("PUT"))).toEqual(["PUT "]);

    server.requests.length = 0;
    await expect(store.put(`mp/${randomUUID()}`, streamOf(data), { maxBytes: 11 * MiB })).rejects.toThrow();
    expect(server.requests.filter((r) => r === "DELETE uploadId")).toHaveLength(1);
  });

  it("presigned PUT and GET URLs work with plain fetch", async () => {
    const key = `presigned/${randomUUID()}/report.csv`;
    const put = await store.presignedPutUrl(key, 60);
    expect(new URL(put).origin).toBe(server.endpoint);
    const uploaded = await fetch(put, { method: "PUT", body: "a,b\n1,2\n" });
    expect(uploaded.status).toBe(200);
    expect(await store.stat(key)).toMatchObject({ size: 8 });

    const get = await store.presignedGetUrl(key, 60);
    const downloaded = await fetch(get);
    expect(downloaded.status).toBe(200);
    expect(await downloaded.text()).toBe("a,b\n1,2\n");
    const ranged = await fetch(get, { headers: { range: "bytes=4-6" } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe("1,2");

    // The signature covers the key: the same URL cannot read another object.
    const forged = get.replace("report.csv", "other.csv");
    expect((await fetch(forged)).status).toBeGreaterThanOrEqual(400);
    expect(await codeOf(store.presignedGetUrl(key, 0))).toBe(ErrorCode.BAD_USER_INPUT);
    expect(await codeOf(store.presignedGetUrl("../x", 60))).toBe(ErrorCode.BAD_USER_INPUT);
  });

  it("ping fails with UPSTREAM_UNAVAILABLE for a missing bucket, until ensureBucket creates it", async () => {
    const other = new S3ObjectStore({ ...s3Options(server.endpoint), bucket: "ods-created" });
    expect(await codeOf(other.ping())).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    await other.ensureBucket();
    await other.ping();
    await other.put("k.txt", "v");
    expect((await read(await other.get("k.txt"))).toString()).toBe("v");
  });

  it("reports an unreachable server or wrong credentials as UPSTREAM_UNAVAILABLE with the reason", async () => {
    const down = new S3ObjectStore(s3Options("http://127.0.0.1:9"));
    const err = await down.ping().catch((e: unknown) => e as Error);
    expect((err as { extensions?: { code?: string } }).extensions?.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });

  it("refuses bad endpoints, bucket names and part sizes with BAD_USER_INPUT", () => {
    const make = (patch: Record<string, unknown>) => () =>
      new S3ObjectStore({ ...s3Options(server.endpoint), ...patch });
    for (const patch of [
      { endpoint: "not a url" },
      { endpoint: "ftp://127.0.0.1:21" },
      { endpoint: "http://127.0.0.1:9000/some/path" },
      { bucket: "ab" },
      { bucket: "Upper_Case" },
      { partSize: MiB },
    ]) {
      expect(make(patch), JSON.stringify(patch)).toThrow(
        expect.objectContaining({ extensions: { code: "BAD_USER_INPUT" } }),
      );
    }
  });
});

describe("createObjectStore", () => {
  const base = { ODS_DATA_DIR: "/tmp/ods-data", ODS_S3_BUCKET: "ods", ODS_S3_REGION: "us-east-1" };

  it("is the local folder store without ODS_S3_ENDPOINT", () => {
    const store = createObjectStore(base);
    expect(store).toBeInstanceOf(LocalObjectStore);
    expect(store.localPath?.("a/b.csv")).toBe("/tmp/ods-data/objects/a/b.csv");
  });

  it("is S3 with ODS_S3_ENDPOINT and both keys, and says which key is missing otherwise", () => {
    const store = createObjectStore({
      ...base,
      ODS_S3_ENDPOINT: "http://127.0.0.1:9000",
      ODS_S3_ACCESS_KEY: "a",
      ODS_S3_SECRET_KEY: "b",
    });
    expect(store).toBeInstanceOf(S3ObjectStore);
    expect(store.localPath).toBeUndefined();
    expect(() => createObjectStore({ ...base, ODS_S3_ENDPOINT: "http://127.0.0.1:9000" })).toThrow(
      /ODS_S3_ACCESS_KEY.*\n.*ODS_S3_SECRET_KEY/,
    );
  });
});

describe("download tokens", () => {
  it("round-trip the key and file name, and build the gateway URL", async () => {
    const { token, expiresAt } = await signDownloadToken(SECRET, { key: "u/1/sales.csv", fileName: "销售.csv" }, 60);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(await verifyDownloadToken(SECRET, token)).toEqual({ key: "u/1/sales.csv", fileName: "销售.csv" });
    const plain = await signDownloadToken(SECRET, { key: "u/1/a.csv" });
    expect(await verifyDownloadToken(SECRET, plain.token)).toEqual({ key: "u/1/a.csv" });
    expect(objectDownloadUrl("http://localhost:4000/", token)).toBe(`http://localhost:4000/objects/download/${token}`);
  });

  it("refuse forged, expired, upload and unsafe tokens with BAD_USER_INPUT", async () => {
    const { token } = await signDownloadToken(SECRET, { key: "u/1/a.csv" }, 60);
    expect(await codeOf(verifyDownloadToken("y".repeat(40), token))).toBe(ErrorCode.BAD_USER_INPUT);
    const expired = await signDownloadToken(SECRET, { key: "u/1/a.csv" }, -10);
    expect(await codeOf(verifyDownloadToken(SECRET, expired.token))).toBe(ErrorCode.BAD_USER_INPUT);
    const upload = await signUploadToken(SECRET, { key: "u/1/a.csv", size: 1, contentType: "text/csv" });
    expect(await codeOf(verifyDownloadToken(SECRET, upload.token))).toBe(ErrorCode.BAD_USER_INPUT);
    expect(await codeOf(verifyDownloadToken(SECRET, "garbage"))).toBe(ErrorCode.BAD_USER_INPUT);
    expect(await codeOf(signDownloadToken(SECRET, { key: "../etc/passwd" }))).toBe(ErrorCode.BAD_USER_INPUT);
  });
});
