import { Client } from "minio";
import { Readable } from "node:stream";
import { ConfigError, type CommonConfig } from "./config.js";
import { AppError, badInput, notFound, upstreamUnavailable } from "./errors.js";
import {
  assertObjectKey,
  LocalObjectStore,
  objectStoreRoot,
  type ObjectInfo,
  type ObjectStore,
} from "./object-store.js";

/** How to reach one bucket of an S3-compatible store (MinIO, AWS S3, s3rver in tests). */
export interface S3ObjectStoreOptions {
  /** `http(s)://host[:port]`, e.g. `http://127.0.0.1:9000`; no path. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** Defaults to `us-east-1` (MinIO's default); S3 signs every request for one region. */
  region?: string;
  bucket: string;
  /**
   * Bytes per part of a multipart upload, at least 5 MiB (S3's minimum). Objects up to this size go up in one PUT;
   * at most one part is held in memory at a time. Defaults to 16 MiB (so 10 000 parts reach about 156 GiB).
   */
  partSize?: number;
}

const MIN_PART = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;
/** S3 refuses presigned URLs valid for longer than seven days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Whether a minio error means "this object does not exist". */
function isMissing(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "NoSuchKey" || code === "NotFound";
}

/**
 * The object store on an S3-compatible server, through the `minio` client. Keys are validated exactly like the
 * local store's, so the same key works in both profiles.
 *
 * @remarks Uploads are multipart above `partSize` and are driven part by part here rather than by minio's
 * `putObject`, because that buffers up to ~512 MiB per part when the size is unknown, resumes stale uploads
 * (needs ListMultipartUploads) and never aborts a failed one; a failed upload here aborts and leaves nothing.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly endpoint: string;
  private readonly client: Client;
  private readonly partSize: number;
  private readonly region: string;

  constructor(options: S3ObjectStoreOptions) {
    let url: URL;
    try {
      url = new URL(options.endpoint);
    } catch {
      throw badInput(`Invalid S3 endpoint ${JSON.stringify(options.endpoint)}: expected http(s)://host:port`);
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || (url.pathname !== "/" && url.pathname !== "")) {
      throw badInput(`Invalid S3 endpoint ${JSON.stringify(options.endpoint)}: expected http(s)://host:port`);
    }
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      throw badInput(
        `Invalid S3 bucket name ${JSON.stringify(options.bucket)}: 3–63 lowercase letters, digits, . or -`,
      );
    }
    this.partSize = options.partSize ?? 16 * 1024 * 1024;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART) {
      throw badInput(`The S3 part size must be a whole number of bytes, at least ${MIN_PART}`);
    }
    const useSSL = url.protocol === "https:";
    this.bucket = options.bucket;
    this.endpoint = url.origin;
    this.region = options.region ?? "us-east-1";
    this.client = new Client({
      endPoint: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      // A known region saves minio a GetBucketLocation round trip before the first call.
      region: this.region,
      partSize: this.partSize,
    });
  }

  /** Turns a minio failure into the platform's errors: missing → NOT_FOUND, anything else → UPSTREAM_UNAVAILABLE. */
  private fail(err: unknown, key?: string): never {
    if (err instanceof AppError) throw err;
    if (key !== undefined && isMissing(err)) throw notFound("Object", key);
    const e = err as { code?: string; message?: string } | null;
    const reason = [e?.code, e?.message].filter(Boolean).join(": ") || String(err);
    throw upstreamUnavailable(`The object store ${this.endpoint} (bucket ${this.bucket}) failed: ${reason}`);
  }

  async put(key: string, body: Readable | Buffer | string, options: { maxBytes?: number } = {}): Promise<ObjectInfo> {
    assertObjectKey(key);
    const source = typeof body === "string" || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
    const headers = { "Content-Type": "application/octet-stream" };
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let received = 0;
    let uploadId: string | undefined;
    const parts: { part: number; etag: string }[] = [];

    // Cuts exactly `size` bytes off the front of the pending chunks.
    const take = (size: number): Buffer => {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      const head = all.subarray(0, size);
      const rest = all.subarray(size);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
      return head;
    };
    const uploadPart = async (payload: Buffer) => {
      if (parts.length >= MAX_PARTS) throw badInput(`The object is too large for ${MAX_PARTS} parts of this size`);
      const partNumber = parts.length + 1;
      const { etag } = await this.client.uploadPart(
        { bucketName: this.bucket, objectName: key, uploadID: uploadId!, partNumber, headers: {} },
        payload,
      );
      parts.push({ part: partNumber, etag });
    };

    try {
      for await (const chunk of source as AsyncIterable<Buffer | string>) {
        const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        received += buffer.length;
        if (options.maxBytes !== undefined && received > options.maxBytes) {
          throw badInput(`The upload is larger than the ${options.maxBytes} bytes announced`);
        }
        pending.push(buffer);
        pendingBytes += buffer.length;
        while (pendingBytes >= this.partSize) {
          // Only start a multipart upload once the object is known to need more than one part.
          if (pendingBytes === this.partSize && uploadId === undefined) break;
          uploadId ??= await this.client.initiateNewMultipartUpload(this.bucket, key, headers);
          await uploadPart(take(this.partSize));
        }
      }
      const rest = take(pendingBytes);
      if (uploadId === undefined) {
        await this.client.putObject(this.bucket, key, rest, rest.length, headers);
      } else {
        if (rest.length > 0) await uploadPart(rest);
        await this.client.completeMultipartUpload(this.bucket, key, uploadId, parts);
      }
    } catch (err) {
      if (uploadId !== undefined) {
        // Abort so the store keeps no orphaned parts; the original failure is the one worth reporting.
        await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      }
      if (!source.destroyed) source.destroy();
      this.fail(err);
    }
    const info = await this.stat(key);
    if (!info) throw upstreamUnavailable(`The object store ${this.endpoint} lost ${key} right after writing it`);
    return info;
  }

  async get(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    assertObjectKey(key);
    try {
      if (!range) return await this.client.getObject(this.bucket, key);
      if (!Number.isInteger(range.start) || range.start < 0 || (range.end !== undefined && range.end < range.start)) {
        throw badInput(`Invalid byte range ${range.start}-${range.end ?? ""}`);
      }
      // Like a file read: a range past the end is cut short (or empty) rather than an error, in both stores.
      const info = await this.stat(key);
      if (!info) throw notFound("Object", key);
      const last = Math.min(range.end ?? info.size - 1, info.size - 1);
      if (range.start > last) return Readable.from([]);
      const length = last - range.start + 1;
      return firstBytes(await this.client.getPartialObject(this.bucket, key, range.start, length), length);
    } catch (err) {
      this.fail(err, key);
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertObjectKey(key);
    try {
      const s = await this.client.statObject(this.bucket, key);
      return { key, size: s.size, modifiedAt: s.lastModified };
    } catch (err) {
      if (isMissing(err)) return undefined;
      this.fail(err);
    }
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (err) {
      if (!isMissing(err)) this.fail(err);
    }
  }

  /** Fails with UPSTREAM_UNAVAILABLE (saying why) unless the server answers and the bucket exists. */
  async ping(): Promise<void> {
    let exists: boolean;
    try {
      exists = await this.client.bucketExists(this.bucket);
    } catch (err) {
      this.fail(err);
    }
    if (!exists) throw upstreamUnavailable(`The bucket ${this.bucket} does not exist on ${this.endpoint}`);
  }

  /** Creates the bucket when it does not exist yet (first start against an empty MinIO). */
  async ensureBucket(): Promise<void> {
    try {
      if (!(await this.client.bucketExists(this.bucket))) await this.client.makeBucket(this.bucket, this.region);
    } catch (err) {
      this.fail(err);
    }
  }

  async presignedPutUrl(key: string, expiresSeconds = 3600): Promise<string> {
    assertObjectKey(key);
    try {
      return await this.client.presignedPutObject(this.bucket, key, presignSeconds(expiresSeconds));
    } catch (err) {
      this.fail(err);
    }
  }

  async presignedGetUrl(key: string, expiresSeconds = 3600): Promise<string> {
    assertObjectKey(key);
    try {
      return await this.client.presignedGetObject(this.bucket, key, presignSeconds(expiresSeconds));
    } catch (err) {
      this.fail(err);
    }
  }
}

/**
 * Passes on at most `length` bytes. Some S3-compatible servers answer a one-byte range such as `bytes=0-0` with
 * the whole object (s3rver reads the end 0 as "no end"), so the range is enforced here as well.
 */
function firstBytes(source: Readable, length: number): Readable {
  return Readable.from(
    (async function* () {
      let left = length;
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (chunk.length >= left) {
          yield chunk.subarray(0, left);
          return;
        }
        left -= chunk.length;
        yield chunk;
      }
    })(),
  );
}

function presignSeconds(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw badInput(`A presigned URL must expire after 1 to ${MAX_PRESIGN_SECONDS} seconds`);
  }
  return seconds;
}

/** The settings {@link createObjectStore} reads; every process's config has them (kit's `commonEnv`). */
export type ObjectStoreConfig = Pick<
  CommonConfig,
  "ODS_DATA_DIR" | "ODS_S3_ENDPOINT" | "ODS_S3_ACCESS_KEY" | "ODS_S3_SECRET_KEY" | "ODS_S3_BUCKET" | "ODS_S3_REGION"
>;

/**
 * The platform's object store: S3 when `ODS_S3_ENDPOINT` is set, otherwise the local folder under the data folder
 * (`objectStoreRoot(ODS_DATA_DIR)`), the one the gateway's upload and download routes use.
 *
 * @throws ConfigError when the endpoint is set without both keys.
 */
export function createObjectStore(config: ObjectStoreConfig): ObjectStore {
  if (!config.ODS_S3_ENDPOINT) return new LocalObjectStore(objectStoreRoot(config.ODS_DATA_DIR));
  const missing = (["ODS_S3_ACCESS_KEY", "ODS_S3_SECRET_KEY"] as const).filter((name) => !config[name]);
  if (missing.length > 0) {
    throw new ConfigError(missing.map((name) => `${name}: required when ODS_S3_ENDPOINT is set`));
  }
  return new S3ObjectStore({
    endpoint: config.ODS_S3_ENDPOINT,
    accessKey: config.ODS_S3_ACCESS_KEY!,
    secretKey: config.ODS_S3_SECRET_KEY!,
    region: config.ODS_S3_REGION,
    bucket: config.ODS_S3_BUCKET,
  });
}
