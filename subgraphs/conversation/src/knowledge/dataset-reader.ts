import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { AppError, ErrorCode, signInternalToken, upstreamUnavailable, type Caller } from "@ods/kit";

/**
 * Reads a dataset's rows from the dataset subgraph's `GET /api/datasets/<id>/rows` (NDJSON, one pass), acting for
 * the caller, so a knowledge base can turn each row into text without holding the dataset in memory.
 */
export class DatasetReader {
  constructor(
    private readonly datasetUrl: string,
    private readonly internalSecret: string,
  ) {}

  async *rows(datasetId: string, caller: Caller, signal?: AbortSignal): AsyncGenerator<Record<string, unknown>> {
    const token = await signInternalToken(this.internalSecret, caller, 600);
    let res: Response;
    try {
      res = await fetch(`${this.datasetUrl.replace(/\/+$/, "")}/api/datasets/${encodeURIComponent(datasetId)}/rows`, {
        headers: { authorization: `Bearer ${token}` },
        signal,
      });
    } catch (err) {
      throw upstreamUnavailable(`The dataset service did not answer: ${(err as Error).message}`);
    }
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      const code = body?.error?.code;
      const known = code && Object.values(ErrorCode).includes(code as ErrorCode) ? (code as ErrorCode) : null;
      throw new AppError(
        known ?? ErrorCode.UPSTREAM_UNAVAILABLE,
        body?.error?.message ?? `The dataset service answered ${res.status}`,
      );
    }
    const lines = createInterface({ input: Readable.fromWeb(res.body as never), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim()) yield JSON.parse(line) as Record<string, unknown>;
    }
  }
}
