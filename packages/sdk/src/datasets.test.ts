import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { describe, expect, it } from "vitest";
import { DatasetsApi, MAX_READABLE_ROWS } from "./datasets.js";
import { DatasetPreviewQuery, DatasetQuery } from "./documents.js";
import type { Transport, VariablesArg } from "./transport.js";

/**
 * An in-memory dataset of `total` rows behind `dataset` and `preview`; `counted: false` mimics a file too big
 * for the platform to count (`totalRows: null`).
 */
function platform(total: number, counted = true) {
  const limits: number[] = [];
  const transport: Transport = {
    async graphql<R, V>(document: TypedDocumentNode<R, V>, ...[variables]: VariablesArg<V>): Promise<R> {
      if (document === (DatasetQuery as unknown)) {
        const dataset = {
          id: "d1",
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
      }
      if (document === (DatasetPreviewQuery as unknown)) {
        const { limit } = variables as { limit: number };
        limits.push(limit);
        const rows = Array.from({ length: Math.min(limit, total) }, (_, i) => ({ n: i }));
        return { dataset: { id: "d1", preview: { columns: [], rows, totalRows: counted ? total : null } } } as R;
      }
      throw new Error("unexpected operation");
    },
    subscribe() {
      throw new Error("no subscriptions here");
    },
  };
  return { datasets: new DatasetsApi(transport), limits };
}

async function collect(rows: AsyncIterable<{ n?: unknown }>): Promise<number[]> {
  const seen: number[] = [];
  for await (const row of rows) seen.push(row.n as number);
  return seen;
}

describe("Dataset.rows", () => {
  it("yields every row of a dataset the API can return whole, in one request", async () => {
    const { datasets, limits } = platform(25);
    const ds = await datasets.get("d1");
    expect(await collect(ds.rows())).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(limits).toEqual([MAX_READABLE_ROWS]);
  });

  it("refuses to pass the start of a larger dataset off as all of it", async () => {
    const { datasets } = platform(MAX_READABLE_ROWS + 1);
    const ds = await datasets.get("d1");
    await expect(collect(ds.rows())).rejects.toMatchObject({ code: "TOO_MANY_ROWS" });
    expect(await collect(ds.rows({ allowPartial: true }))).toHaveLength(MAX_READABLE_ROWS);
  });

  it("treats an uncounted file that fills the preview as possibly larger", async () => {
    const small = platform(10, false);
    expect(await collect((await small.datasets.get("d1")).rows())).toHaveLength(10);
    const big = platform(5000, false);
    await expect(collect((await big.datasets.get("d1")).rows())).rejects.toMatchObject({ code: "TOO_MANY_ROWS" });
  });
});
