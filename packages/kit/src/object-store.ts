import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { randomUUID } from "node:crypto";
import { SignJWT, jwtVerify } from "jose";
import { badInput, notFound } from "./errors.js";

export interface ObjectInfo {
  key: string;
  size: number;
  modifiedAt: Date;
}

/**
 * The object store port. Keys are `/`-separated paths such as `uploads/<id>/sales.csv`.
 *
 * @remarks The embedded implementation is a folder; production uses MinIO/S3 behind the same interface.
 */
export interface ObjectStore {
  /** Streams `body` to `key`; bytes are never held whole in memory. Fails when more than `maxBytes` arrive. */
  put(key: string, body: Readable | Buffer | string, options?: { maxBytes?: number }): Promise<ObjectInfo>;
  get(key: string, range?: { start: number; end?: number }): Promise<Readable>;
  stat(key: string): Promise<ObjectInfo | undefined>;
  delete(key: string): Promise<void>;
  /** Whether the backing store answers (for `/readyz`). */
  ping(): Promise<void>;
  /**
   * The object's path on this machine's disk when the store is a local folder (engines such as DuckDB then read
   * it in place); undefined for remote stores, whose objects must be streamed.
   */
  localPath?(key: string): string | undefined;
  /**
   * A URL that lets whoever holds it PUT this one key directly to the store until it expires; only remote stores
   * (S3) have one. The local store's equivalent is the gateway's `PUT /objects/upload/<token>`.
   */
  presignedPutUrl?(key: string, expiresSeconds?: number): Promise<string>;
  /**
   * A URL that lets whoever holds it GET this one key directly from the store until it expires; only remote stores
   * (S3) have one. The local store's equivalent is the gateway's `GET /objects/download/<token>`.
   */
  presignedGetUrl?(key: string, expiresSeconds?: number): Promise<string>;
}

/**
 * The root folder of the embedded object store under the data folder. The gateway writes uploads
 * (`PUT /objects/upload/<token>`) and the subgraphs read them, so this is the one place that says where it is.
 */
export function objectStoreRoot(dataDir: string): string {
  return join(dataDir, "objects");
}

const KEY = /^(?!\/)(?!.*\.\.)[\w\-./ ()+@,=]{1,512}$/;

/** Rejects keys that could escape the store's root or are otherwise unsafe. */
export function assertObjectKey(key: string): void {
  if (!KEY.test(key) || key.includes("//")) throw badInput(`Invalid object key: ${JSON.stringify(key)}`);
}

/** The embedded object store: one file per key under `root`, written to a temporary name and then renamed. */
export class LocalObjectStore implements ObjectStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    assertObjectKey(key);
    const full = resolve(this.root, key);
    if (!full.startsWith(this.root + sep)) throw badInput(`Invalid object key: ${JSON.stringify(key)}`);
    return full;
  }

  async put(key: string, body: Readable | Buffer | string, options: { maxBytes?: number } = {}): Promise<ObjectInfo> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    // Write beside the target and rename, so a reader never sees half a file and a failed upload leaves nothing.
    const temp = join(dirname(target), `.${randomUUID()}.partial`);
    let received = 0;
    const source = typeof body === "string" || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            received += chunk.length;
            if (options.maxBytes !== undefined && received > options.maxBytes) {
              throw badInput(`The upload is larger than the ${options.maxBytes} bytes announced`);
            }
            yield chunk;
          }
        },
        createWriteStream(temp),
      );
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return (await this.stat(key))!;
  }

  async get(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    const path = this.path(key);
    if (!(await this.stat(key))) throw notFound("Object", key);
    return createReadStream(path, range ? { start: range.start, end: range.end } : undefined);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { key, size: s.size, modifiedAt: s.mtime } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  localPath(key: string): string {
    return this.path(key);
  }
}

/** What a download URL allows: reading one object at `key`; `fileName` names the file the browser saves. */
export interface DownloadGrant {
  key: string;
  fileName?: string;
}

const DOWNLOAD_AUDIENCE = "ods-download";

/**
 * Signs the token inside a download URL (`GET /objects/download/<token>` on the gateway), the embedded profile's
 * equivalent of an S3 presigned GET: whoever holds the URL may read that one key until it expires.
 *
 * @example
 * const { token } = await signDownloadToken(secret, { key: "uploads/1/sales.csv" }, 600);
 * const url = objectDownloadUrl(config.ODS_PUBLIC_URL, token);
 */
export async function signDownloadToken(
  secret: string,
  grant: DownloadGrant,
  ttlSeconds = 3600,
): Promise<{ token: string; expiresAt: Date }> {
  assertObjectKey(grant.key);
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  const token = await new SignJWT({ key: grant.key, ...(grant.fileName ? { fn: grant.fileName } : {}) })
    .setProtectedHeader({ alg: "HS256" })
    .setAudience(DOWNLOAD_AUDIENCE)
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(new TextEncoder().encode(secret));
  return { token, expiresAt };
}

/** Verifies a download token; BAD_USER_INPUT when it is forged, expired or an upload token. */
export async function verifyDownloadToken(secret: string, token: string): Promise<DownloadGrant> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      audience: DOWNLOAD_AUDIENCE,
      algorithms: ["HS256"],
    });
    if (typeof payload.key !== "string") throw new Error("no key");
    return typeof payload.fn === "string" ? { key: payload.key, fileName: payload.fn } : { key: payload.key };
  } catch {
    throw badInput("This download URL is invalid or has expired; ask for a new one");
  }
}

/** The gateway URL serving a download token, under the gateway's public address (`ODS_PUBLIC_URL`). */
export function objectDownloadUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/objects/download/${token}`;
}
