import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { describe, expect, it } from "vitest";
import { DatasetsApi } from "./datasets.js";
import { DatasetQuery, DatasetRowsQuery } from "./documents.js";
import type { Transport, VariablesArg } from "./transport.js";

/** An in-memory dataset of `total` rows behind `dataset` and `rows` (offset cursors, like the server's). */
function platform(total: number) {
  const requests: { first: number; after: string | null }[] = [];
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
      if (document === (DatasetRowsQuery as unknown)) {
        const { first, after } = variables as { first: number; after: string | null };
        requests.push({ first, after });
        const start = after === null ? 0 : Number(after) + 1;
        const edges = Array.from({ length: Math.max(0, Math.min(first, total - start)) }, (_, i) => ({
          cursor: String(start + i),
          node: { n: start + i },
        }));
        const endCursor = edges.at(-1)?.cursor ?? null;
        return {
          dataset: { rows: { edges, pageInfo: { hasNextPage: start + edges.length < total, endCursor } } },
        } as R;
      }
      throw new Error("unexpected operation");
    },
    subscribe() {
      throw new Error("no subscriptions here");
    },
  };
  return { datasets: new DatasetsApi(transport), requests };
}

async function collect(rows: AsyncIterable<{ n?: unknown }>): Promise<number[]> {
  const seen: number[] = [];
  for await (const row of rows) seen.push(row.n as number);
  return seen;
}

describe("Dataset.rows", () => {
  it("yields every row of a small dataset from one request", async () => {
    const { datasets, requests } = platform(25);
    expect(await collect((await datasets.get("d1")).rows())).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(requests).toEqual([{ first: 1000, after: null }]);
  });

  it("pages through a large dataset without losing or repeating a row", async () => {
    const { datasets, requests } = platform(2_500);
    const seen = await collect((await datasets.get("d1")).rows());
    expect(seen).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    expect(requests.map((r) => r.after)).toEqual([null, "999", "1999"]);
  });

  it("stops early without fetching pages nobody reads beyond the next one", async () => {
    const { datasets, requests } = platform(10_000);
    const ds = await datasets.get("d1");
    let count = 0;
    for await (const _row of ds.rows({ pageSize: 100 })) if (++count === 150) break;
    expect(requests.length).toBeLessThanOrEqual(3);
  });
});
