/** Where and how to send a file's bytes, as `createUploadUrl` answers. */
export interface UploadTarget {
  /** Absolute, or relative to the gateway (the embedded profile's `/objects/upload/<token>`). */
  url: string;
  method: string;
  /** JSON from the server: header names to string values. */
  headers: unknown;
}

/** Why an upload failed, in words for the user. */
export class UploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UploadError";
  }
}

/** The gateway's `{ error: { message } }` body, when the failed upload answered with one. */
function serverMessage(xhr: XMLHttpRequest): string | null {
  try {
    const body = JSON.parse(xhr.responseText) as { error?: { message?: unknown } } | null;
    return typeof body?.error?.message === "string" ? body.error.message : null;
  } catch {
    return null;
  }
}

/**
 * Sends a file's bytes to an upload target, reporting progress as the browser sends them.
 *
 * @remarks
 * `fetch` cannot report upload progress, so this uses `XMLHttpRequest` and its `upload.onprogress` events. The
 * session cookie goes along on the gateway's origin; a presigned S3 URL needs none.
 *
 * @param onprogress - called with the bytes sent so far and the total, several times during the upload.
 * @throws {@link UploadError} with the server's message, or a network or abort message.
 */
export function uploadFile(
  target: UploadTarget,
  file: Blob,
  onprogress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method, new URL(target.url, window.location.href).toString());
    const headers = (target.headers ?? {}) as Record<string, unknown>;
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === "string") xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => onprogress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onprogress(file.size, file.size);
        resolve();
      } else {
        reject(new UploadError(serverMessage(xhr) ?? `The upload failed: ${xhr.status} ${xhr.statusText}.`));
      }
    };
    xhr.onerror = () => reject(new UploadError("The upload failed: the server cannot be reached."));
    xhr.onabort = () => reject(new UploadError("The upload was cancelled."));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}
