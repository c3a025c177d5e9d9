import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { randomUUID } from "node:crypto";
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
