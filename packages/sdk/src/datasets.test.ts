import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { describe, expect, it } from "vitest";
import { DatasetsApi } from "./datasets.js";
import { DatasetQuery } from "./documents.js";
import type { Transport, VariablesArg } from "./transport.js";

/** A dataset of `total` rows behind `dataset` and the NDJSON rows route, optionally cut off after `breakAfter`. */
function platform(total: number, options: { breakAfter?: number; status?: number } = {}) {
  const paths: string[] = [];
  let cancelled = false;
  const transport: Transport = {
    async graphql<R, V>(document: TypedDocumentNode<R, V>, ..._variables: VariablesArg<V>): Promise<R> {
      if (document !== (DatasetQuery as unknown)) throw new Error("unexpected operation");
      const dataset = {
        id: "d 1",
        name: "sales",
        description: null,
        tableName: "sales",
        format: "CSV",
        tags: [],
        columns: [{ name: "n", type: "INTEGER", nullable: false }],
        createdAt: "2025-01-01T00:00:00.000Z",
        updatedAt: "2025-01-01T00:00:00.000Z",
      };
      return { dataset } as R;
    },
    subscribe() {
      throw new Error("no subscriptions here");
    },
    async get(path: string) {
      paths.push(path);
      if (options.status) {
        return new Response(JSON.stringify({ error: { code: "NOT_FOUND", message: "Dataset d 1 was not found" } }), {
          status: options.status,
        });
      }
      let n = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (options.breakAfter !== undefined && n === options.breakAfter) {
            controller.error(new Error("socket hang up"));
            return;
          }
          if (n >= total) {
            controller.close();
            return;
          }
          // Rows split across chunks at awkward places, as a network delivers them.
          const text = `{"n":${n++}}\n`;
          controller.enqueue(new TextEncoder().encode(text.slice(0, 3)));
          controller.enqueue(new TextEncoder().encode(text.slice(3)));
        },
        cancel() {
          cancelled = true;
        },
      });
      return new Response(body, { status: 200, headers: { "content-type": "application/x-ndjson" } });
    },
  };
  return { datasets: new DatasetsApi(transport), paths, cancelled: () => cancelled };
}

async function collect(rows: AsyncIterable<{ n?: unknown }>): Promise<number[]> {
  const seen: number[] = [];
  for await (const row of rows) seen.push(row.n as number);
  return seen;
}

describe("Dataset.rows", () => {
  it("streams every row from the rows route, in order", async () => {
    const { datasets, paths } = platform(2_500);
    expect(await collect((await datasets.get("d 1")).rows())).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    expect(paths).toEqual(["/api/datasets/d%201/rows"]);
  });

  it("asks for a version when told", async () => {
    const { datasets, paths } = platform(1);
    await collect((await datasets.get("d 1")).rows({ version: 2 }));
    expect(paths).toEqual(["/api/datasets/d%201/rows?version=2"]);
  });

  it("stops the server's stream when the reader stops early", async () => {
    const { datasets, cancelled } = platform(10_000);
    let count = 0;
    for await (const _row of (await datasets.get("d 1")).rows()) if (++count === 10) break;
    expect(cancelled()).toBe(true);
  });

  it("throws when the stream is cut off part-way, so a finished loop means every row", async () => {
    const { datasets } = platform(100, { breakAfter: 40 });
    await expect(collect((await datasets.get("d 1")).rows())).rejects.toMatchObject({ code: "STREAM_INTERRUPTED" });
  });

  it("reports the server's refusal with its code", async () => {
    const { datasets } = platform(0, { status: 404 });
    await expect(collect((await datasets.get("d 1")).rows())).rejects.toMatchObject({ code: "NOT_FOUND", status: 404 });
  });
});
