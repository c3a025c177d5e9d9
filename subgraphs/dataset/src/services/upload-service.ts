import { randomUUID } from "node:crypto";
import { parseInput, signUploadToken, type ObjectStore } from "@ods/kit";
import { z } from "zod";

/** Where and how to send a file's bytes; `key` is then passed as a dataset's `storagePath`. */
export interface UploadTargetData {
  url: string;
  method: "PUT";
  headers: Record<string, string>;
  key: string;
  expiresAt: Date;
}

/** How long an upload URL stays valid, in seconds (1 h). */
export const UPLOAD_URL_TTL_SECONDS = 3600;

/**
 * A file name reduced to characters every object store and file system accepts, keeping its extension so
 * the format can still be told from it. Names with nothing usable left become `file`.
 *
 * @example sanitiseFileName("../Sales 2024 (final).CSV") === "Sales_2024_final_.CSV"
 */
export function sanitiseFileName(fileName: string): string {
  const base = fileName.split(/[/\\]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/_+/g, "_");
  const stem = clean(dot > 0 ? base.slice(0, dot) : base).replace(/^[_-]+/, "") || "file";
  const ext = dot > 0 ? clean(base.slice(dot + 1)).replace(/_/g, "") : "";
  return ext ? `${stem.slice(0, 150)}.${ext.slice(0, 16)}` : stem.slice(0, 150);
}

/**
 * Hands out upload URLs: a presigned PUT straight to S3/MinIO when the platform's store is one, otherwise a signed
 * URL for the gateway's `PUT /objects/upload/<token>` route, which streams into the local store.
 */
export class UploadService {
  private readonly input: z.ZodType<{ fileName: string; contentType: string; size: number }>;

  constructor(
    private readonly internalSecret: string,
    readonly maxUploadBytes: number,
    private readonly store?: ObjectStore,
  ) {
    this.input = z.object({
      fileName: z.string().trim().min(1, "must not be empty").max(255, "must be at most 255 characters"),
      contentType: z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, "must be a media type such as text/csv")
        .max(200, "must be at most 200 characters"),
      size: z
        .number()
        .int("must be a whole number of bytes")
        .positive("must be more than 0 bytes")
        .max(maxUploadBytes, `must be at most ${maxUploadBytes} bytes (the upload limit)`),
    });
  }

  /**
   * Grants one upload of at most `size` bytes to a fresh key `uploads/<uuid>/<sanitised file name>`.
   *
   * @remarks With S3/MinIO the bytes go straight to the bucket (a presigned PUT cannot cap the size: the bucket's
   * own quota and policies apply there). Otherwise the URL is relative to the gateway, which
   * verifies the token, enforces the size and streams the body into the local store, so the same answer works
   * whatever host name the client reached the gateway by.
   */
  async createUploadUrl(input: { fileName: string; contentType: string; size: number }): Promise<UploadTargetData> {
    const data = parseInput(this.input, input);
    const key = `uploads/${randomUUID()}/${sanitiseFileName(data.fileName)}`;
    if (this.store?.presignedPutUrl) {
      return {
        url: await this.store.presignedPutUrl(key, UPLOAD_URL_TTL_SECONDS),
        method: "PUT",
        headers: { "content-type": data.contentType },
        key,
        expiresAt: new Date(Date.now() + UPLOAD_URL_TTL_SECONDS * 1000),
      };
    }
    const { token, expiresAt } = await signUploadToken(
      this.internalSecret,
      { key, size: data.size, contentType: data.contentType },
      UPLOAD_URL_TTL_SECONDS,
    );
    return {
      url: `/objects/upload/${token}`,
      method: "PUT",
      headers: { "content-type": data.contentType },
      key,
      expiresAt,
    };
  }
}
