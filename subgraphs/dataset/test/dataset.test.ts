import "reflect-metadata";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { once } from "node:events";
import { verifyUploadToken, type Caller } from "@ods/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secret, startHarness, type Harness } from "./harness.js";

const editor: Caller = { userId: "11111111-1111-4111-8111-111111111111", roles: ["editor"] };
const otherEditor: Caller = { userId: "22222222-2222-4222-8222-222222222222", roles: ["editor"] };
const viewer: Caller = { userId: "33333333-3333-4333-8333-333333333333", roles: ["viewer"] };
const anonymous: Caller = { roles: [] };

let h: Harness;
let objects: string;

/** Calls the subgraph as the gateway would: the caller travels as a signed internal token. */
const gql: Harness["gql"] = (caller, query, variables) => h.gql(caller, query, variables);
/** Like {@link gql}, but fails the test on any error. */
const ok: Harness["ok"] = (caller, query, variables) => h.ok(caller, query, variables);
const putObject = (key: string, content: string) => h.putObject(key, content);

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterDatasetInput!) {
    registerDataset(input: $input) {
      id
      name
      tableName
      format
      storagePath
      sizeBytes
      tags
      columns {
        name
        type
        nullable
      }
      owner {
        id
      }
    }
  }
`;

interface RegisteredDataset {
  id: string;
  name: string;
  tableName: string;
  format: string;
  sizeBytes: number;
  tags: string[];
  columns: { name: string; type: string; nullable: boolean }[];
  owner: { id: string };
}

async function register(caller: Caller, input: Record<string, unknown>): Promise<RegisteredDataset> {
  return (await ok<{ registerDataset: RegisteredDataset }>(caller, REGISTER, { input })).registerDataset;
}

const SALES_CSV = [
  "order_id,customer,amount,paid,ordered_on",
  "1,Ada,19.99,true,2024-01-03",
  '2,"Lovelace, Ada",5,false,2024-01-04',
  "3,,100.5,true,",
].join("\n");

beforeAll(async () => {
  h = await startHarness();
  objects = h.objects;
  await putObject("uploads/sales/Sales 2024.csv", SALES_CSV);
});

afterAll(async () => {
  await h?.close();
});

describe("registerDataset", () => {
  it("infers the columns of a CSV in the object store", async () => {
    const dataset = await register(editor, {
      name: "Sales 2024.csv",
      description: "orders",
      storagePath: "uploads/sales/Sales 2024.csv",
      tags: ["sales", "2024", "sales"],
    });
    expect(dataset).toMatchObject({
      name: "Sales 2024.csv",
      tableName: "sales_2024_csv",
      format: "CSV",
      sizeBytes: Buffer.byteLength(SALES_CSV),
      tags: ["sales", "2024"],
      owner: { id: editor.userId },
    });
    expect(dataset.columns).toEqual([
      { name: "order_id", type: "INTEGER", nullable: false },
      { name: "customer", type: "STRING", nullable: true },
      { name: "amount", type: "FLOAT", nullable: false },
      { name: "paid", type: "BOOLEAN", nullable: false },
      { name: "ordered_on", type: "DATE", nullable: true },
    ]);
  });

  it("reads JSONL and keeps columns given by hand", async () => {
    await putObject(
      "uploads/events/events.jsonl",
      '{"at":"2024-05-01T10:00:00Z","n":1}\n{"at":"2024-05-02T10:00:00Z"}\n',
    );
    const inferred = await register(editor, { name: "events", storagePath: "uploads/events/events.jsonl" });
    expect(inferred.format).toBe("JSONL");
    expect(inferred.columns).toEqual([
      { name: "at", type: "TIMESTAMP", nullable: false },
      { name: "n", type: "INTEGER", nullable: true },
    ]);
    const given = await register(editor, {
      name: "events by hand",
      storagePath: "uploads/events/events.jsonl",
      columns: [{ name: "at", type: "STRING" }],
    });
    expect(given.columns).toEqual([{ name: "at", type: "STRING", nullable: true }]);
  });

  it("refuses a missing object, naming the path", async () => {
    const res = await gql(editor, REGISTER, { input: { name: "ghost", storagePath: "uploads/nope/ghost.csv" } });
    expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.errors?.[0]?.message).toContain("uploads/nope/ghost.csv");
  });

  it("refuses an S3 path without its data source, and a data source for a plain key, saying so", async () => {
    const s3 = await gql(editor, REGISTER, { input: { name: "s3", storagePath: "s3://bucket/data/file.csv" } });
    expect(s3.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(s3.errors?.[0]?.message).toMatch(/data source/);
    expect(s3.errors?.[0]?.extensions?.fields).toHaveProperty("dataSourceId");
    const plain = await gql(editor, REGISTER, {
      input: {
        name: "plain",
        storagePath: "uploads/sales/Sales 2024.csv",
        dataSourceId: "00000000-0000-4000-8000-000000000000",
      },
    });
    expect(plain.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(plain.errors?.[0]?.message).toMatch(/only for s3:\/\/ paths/);
    const missingSource = await gql(editor, REGISTER, {
      input: { name: "s3", storagePath: "s3://bucket/a.csv", dataSourceId: "00000000-0000-4000-8000-000000000000" },
    });
    expect(missingSource.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("validates the input field by field", async () => {
    const res = await gql(editor, REGISTER, {
      input: { name: "", storagePath: "uploads/sales/Sales 2024.csv", columns: [{ name: "a", type: "MONEY" }] },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(Object.keys(res.errors?.[0]?.extensions?.fields ?? {})).toEqual(
      expect.arrayContaining(["name", "columns.0.type"]),
    );
  });

  it("reports a file that is not what its format says", async () => {
    await putObject("uploads/bad/bad.jsonl", "not json\n");
    const res = await gql(editor, REGISTER, { input: { name: "bad", storagePath: "uploads/bad/bad.jsonl" } });
    expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.errors?.[0]?.message).toMatch(/line 1 is not valid JSON/);
  });

  it("is for editors: a viewer is refused, an anonymous caller is unauthenticated", async () => {
    const input = { name: "nope", storagePath: "uploads/sales/Sales 2024.csv" };
    expect((await gql(viewer, REGISTER, { input })).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await gql(anonymous, REGISTER, { input })).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("datasets", () => {
  const LIST = /* GraphQL */ `
    query List($tags: [String!], $search: String, $format: DatasetFormat, $first: Int, $after: String) {
      datasets(tags: $tags, search: $search, format: $format, first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          hasPreviousPage
          endCursor
        }
        edges {
          cursor
          node {
            id
            name
          }
        }
      }
    }
  `;
  interface ListData {
    datasets: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
      edges: { cursor: string; node: { id: string; name: string } }[];
    };
  }

  it("pages with first/after, newest first, with the total count", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await register(editor, { name: `paged ${i}`, storagePath: "uploads/sales/Sales 2024.csv", tags: ["paged"] }))
          .id,
      );
    }
    const seen: string[] = [];
    let after: string | null = null;
    const pages: number[] = [];
    for (;;) {
      const { datasets }: ListData = await ok<ListData>(viewer, LIST, { tags: ["paged"], first: 2, after });
      expect(datasets.totalCount).toBe(5);
      expect(datasets.pageInfo.hasPreviousPage).toBe(after !== null);
      pages.push(datasets.edges.length);
      seen.push(...datasets.edges.map((e) => e.node.id));
      if (!datasets.pageInfo.hasNextPage) break;
      after = datasets.pageInfo.endCursor;
    }
    expect(pages).toEqual([2, 2, 1]);
    expect(seen).toEqual([...ids].reverse());
  });

  it("filters by search, by all tags, and by format", async () => {
    await register(editor, {
      name: "Weather stations",
      description: "Hourly readings from the north",
      storagePath: "uploads/sales/Sales 2024.csv",
      tags: ["weather", "hourly"],
    });
    await register(editor, { name: "Weather daily", storagePath: "uploads/sales/Sales 2024.csv", tags: ["weather"] });
    const names = async (vars: Record<string, unknown>) =>
      (await ok<ListData>(viewer, LIST, vars)).datasets.edges.map((e) => e.node.name).sort();
    expect(await names({ search: "READINGS FROM" })).toEqual(["Weather stations"]);
    expect(await names({ search: "weather" })).toEqual(["Weather daily", "Weather stations"]);
    expect(await names({ tags: ["weather", "hourly"] })).toEqual(["Weather stations"]);
    expect(await names({ tags: ["weather"] })).toEqual(["Weather daily", "Weather stations"]);
    expect(await names({ tags: ["weather"], format: "JSONL" })).toEqual([]);
  });

  it("refuses a page size out of range", async () => {
    expect((await gql(viewer, LIST, { first: 0 })).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("hides soft-deleted datasets from everyone, and only the owner or an admin may delete", async () => {
    const dataset = await register(editor, {
      name: "to delete",
      storagePath: "uploads/sales/Sales 2024.csv",
      tags: ["doomed"],
    });
    const DELETE = "mutation($id: ID!) { deleteDataset(id: $id) }";
    const other = await gql(otherEditor, DELETE, { id: dataset.id });
    expect(other.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await ok(editor, DELETE, { id: dataset.id })).toEqual({ deleteDataset: true });

    for (const caller of [otherEditor, viewer, editor]) {
      const list = await ok<ListData>(caller, LIST, { tags: ["doomed"] });
      expect(list.datasets.totalCount).toBe(0);
      const one = await ok(caller, "query($id: ID!) { dataset(id: $id) { id } }", { id: dataset.id });
      expect(one).toEqual({ dataset: null });
    }
    const again = await gql(editor, DELETE, { id: dataset.id });
    expect(again.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const ref = await ok(viewer, "query($r: [_Any!]!) { _entities(representations: $r) { ... on Dataset { id } } }", {
      r: [{ __typename: "Dataset", id: dataset.id }],
    });
    expect(ref).toEqual({ _entities: [null] });
  });
});

describe("updateDataset", () => {
  it("changes name, description and tags for the owner", async () => {
    const dataset = await register(editor, { name: "Old name", storagePath: "uploads/sales/Sales 2024.csv" });
    const UPDATE = `mutation($id: ID!, $input: UpdateDatasetInput!) {
      updateDataset(id: $id, input: $input) { name tableName description tags }
    }`;
    const data = await ok(editor, UPDATE, {
      id: dataset.id,
      input: { name: "New name!", description: "fresh", tags: ["x"] },
    });
    expect(data).toEqual({
      updateDataset: { name: "New name!", tableName: "new_name", description: "fresh", tags: ["x"] },
    });
    const other = await gql(otherEditor, UPDATE, { id: dataset.id, input: { name: "mine now" } });
    expect(other.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const missing = await gql(editor, UPDATE, { id: "00000000-0000-4000-8000-000000000000", input: { name: "x" } });
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});

describe("Dataset.preview", () => {
  const PREVIEW = /* GraphQL */ `
    query Preview($id: ID!, $limit: Int) {
      dataset(id: $id) {
        preview(limit: $limit) {
          columns {
            name
            type
          }
          rows
          totalRows
        }
      }
    }
  `;
  interface PreviewData {
    dataset: { preview: { columns: { name: string; type: string }[]; rows: unknown[]; totalRows: number | null } };
  }

  it("returns typed rows keyed by column name and the row count", async () => {
    const dataset = await register(editor, { name: "preview me", storagePath: "uploads/sales/Sales 2024.csv" });
    const { preview } = (await ok<PreviewData>(viewer, PREVIEW, { id: dataset.id })).dataset;
    expect(preview.totalRows).toBe(3);
    expect(preview.columns.map((c) => c.name)).toEqual(["order_id", "customer", "amount", "paid", "ordered_on"]);
    expect(preview.rows).toEqual([
      { order_id: 1, customer: "Ada", amount: 19.99, paid: true, ordered_on: "2024-01-03" },
      { order_id: 2, customer: "Lovelace, Ada", amount: 5, paid: false, ordered_on: "2024-01-04" },
      { order_id: 3, customer: null, amount: 100.5, paid: true, ordered_on: null },
    ]);
    const limited = (await ok<PreviewData>(viewer, PREVIEW, { id: dataset.id, limit: 1 })).dataset.preview;
    expect(limited.rows).toHaveLength(1);
    const bad = await gql(viewer, PREVIEW, { id: dataset.id, limit: 0 });
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("previews a file of over 50 MB in well under a second, reading only its start", async () => {
    const key = "uploads/big/big.csv";
    const path = join(objects, key);
    await mkdir(dirname(path), { recursive: true });
    let block = "";
    for (let i = 0; i < 10_000; i++) block += `${i},item ${i},${(i * 1.5).toFixed(2)},2024-01-01T00:00:00Z\n`;
    const out = createWriteStream(path);
    out.write("id,label,price,at\n");
    let written = 0;
    let lines = 0;
    while (written < 52 * 1024 * 1024) {
      if (!out.write(block)) await once(out, "drain");
      written += block.length;
      lines += 10_000;
    }
    out.end();
    await once(out, "finish");

    const dataset = await register(editor, { name: "big", storagePath: key });
    expect(dataset.sizeBytes).toBeGreaterThan(50 * 1024 * 1024);
    expect(dataset.columns.map((c) => c.type)).toEqual(["INTEGER", "STRING", "FLOAT", "TIMESTAMP"]);

    const started = performance.now();
    const { preview } = (await ok<PreviewData>(viewer, PREVIEW, { id: dataset.id, limit: 20 })).dataset;
    const elapsed = performance.now() - started;
    expect(preview.rows).toHaveLength(20);
    expect(preview.rows[19]).toEqual({ id: 19, label: "item 19", price: 28.5, at: "2024-01-01T00:00:00Z" });
    // Counted once, when the file was registered, so asking for it costs nothing.
    expect(preview.totalRows).toBe(lines);
    expect(elapsed).toBeLessThan(1000);
  });
});

describe("createUploadUrl", () => {
  const CREATE = /* GraphQL */ `
    mutation Upload($input: CreateUploadUrlInput!) {
      createUploadUrl(input: $input) {
        url
        method
        headers
        key
        expiresAt
      }
    }
  `;

  it("returns a relative URL whose token grants that key and size", async () => {
    const { createUploadUrl: target } = await ok<{
      createUploadUrl: { url: string; method: string; headers: Record<string, string>; key: string; expiresAt: string };
    }>(editor, CREATE, { input: { fileName: "../Sales 2024 (final).csv", contentType: "text/csv", size: 1234 } });
    expect(target.method).toBe("PUT");
    expect(target.headers).toEqual({ "content-type": "text/csv" });
    expect(target.key).toMatch(/^uploads\/[0-9a-f-]{36}\/Sales_2024_final_\.csv$/);
    expect(target.url).toMatch(/^\/objects\/upload\/[^/]+$/);
    const grant = await verifyUploadToken(secret, target.url.slice("/objects/upload/".length));
    expect(grant).toEqual({ key: target.key, size: 1234, contentType: "text/csv" });
    const ttl = new Date(target.expiresAt).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(3500_000);
    expect(ttl).toBeLessThanOrEqual(3600_000);
  });

  it("refuses uploads over the limit, and viewers", async () => {
    const tooBig = await gql(editor, CREATE, {
      input: { fileName: "huge.csv", contentType: "text/csv", size: 6 * 1024 ** 3 },
    });
    expect(tooBig.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(tooBig.errors?.[0]?.message).toMatch(/size: must be at most 5368709120 bytes/);
    const asViewer = await gql(viewer, CREATE, { input: { fileName: "a.csv", contentType: "text/csv", size: 1 } });
    expect(asViewer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});
