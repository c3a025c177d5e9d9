import "reflect-metadata";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { verifyDownloadToken, type Caller } from "@ods/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secret, startHarness, type Harness } from "./harness.js";

const editor: Caller = { userId: "11111111-1111-4111-8111-111111111111", roles: ["editor"] };
const other: Caller = { userId: "22222222-2222-4222-8222-222222222222", roles: ["editor"] };

let h: Harness;
let objects: string;

const gql = <T = Record<string, any>>(caller: Caller, query: string, variables = {}) =>
  h.gql<T>(caller, query, variables);
const ok = <T = Record<string, any>>(caller: Caller, query: string, variables = {}) =>
  h.ok<T>(caller, query, variables);
const put = (key: string, content: string | Buffer) => h.putObject(key, content);

const REGISTER = `mutation($input: RegisterDatasetInput!) {
  registerDataset(input: $input) { id format currentVersion columns { name type nullable } }
}`;

async function register(input: Record<string, unknown>) {
  return (await ok<{ registerDataset: any }>(editor, REGISTER, { input })).registerDataset;
}

beforeAll(async () => {
  h = await startHarness();
  objects = h.objects;
});

afterAll(async () => {
  await h?.close();
});

describe("formats", () => {
  it("reads a JSON array element by element", async () => {
    await put(
      "f/people.json",
      ' [ {"name":"Ada","age":36}, {"name":"Grace, \\"amazing\\"","age":null,"x":[1,{"y":"]"}]} ]',
    );
    const d = await register({ name: "people", storagePath: "f/people.json" });
    expect(d.format).toBe("JSON");
    expect(d.columns).toEqual([
      { name: "name", type: "STRING", nullable: false },
      { name: "age", type: "INTEGER", nullable: true },
      { name: "x", type: "STRING", nullable: true },
    ]);
    const { dataset } = await ok(editor, `query($id: ID!) { dataset(id: $id) { preview { rows totalRows } } }`, {
      id: d.id,
    });
    expect(dataset.preview.totalRows).toBe(2);
    expect(dataset.preview.rows[1]).toEqual({ name: 'Grace, "amazing"', age: null, x: [1, { y: "]" }] });
  });

  it("reads Parquet through DuckDB", async () => {
    await mkdir(join(objects, "f"), { recursive: true });
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    const path = join(objects, "f/nums.parquet");
    await connection.run(
      `COPY (SELECT i AS id, i * 1.5 AS price, 'n' || i AS label FROM range(1, 251) t(i)) TO '${path}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
    const d = await register({ name: "nums", storagePath: "f/nums.parquet" });
    expect(d.columns.map((c: { type: string }) => c.type)).toEqual(["INTEGER", "FLOAT", "STRING"]);
    const { dataset } = await ok(
      editor,
      `query($id: ID!) { dataset(id: $id) { preview(limit: 2) { rows totalRows } rows(first: 100, after: null) { totalCount edges { node } pageInfo { hasNextPage endCursor } } } }`,
      { id: d.id },
    );
    expect(dataset.preview).toEqual({
      rows: [
        { id: 1, price: 1.5, label: "n1" },
        { id: 2, price: 3, label: "n2" },
      ],
      totalRows: 250,
    });
    expect(dataset.rows.totalCount).toBe(250);
    expect(dataset.rows.edges).toHaveLength(100);
    expect(dataset.rows.pageInfo.hasNextPage).toBe(true);
    const next = await ok(
      editor,
      `query($id: ID!, $a: String) { dataset(id: $id) { rows(first: 1000, after: $a) { edges { node } pageInfo { hasNextPage } } } }`,
      {
        id: d.id,
        a: dataset.rows.pageInfo.endCursor,
      },
    );
    expect(next.dataset.rows.edges[0].node.id).toBe(101);
    expect(next.dataset.rows.edges).toHaveLength(150);
    expect(next.dataset.rows.pageInfo.hasNextPage).toBe(false);
  });

  it("detects GBK, UTF-16, single quotes and a missing header", async () => {
    const gbk = Buffer.concat([
      Buffer.from("city;pop\n"),
      Buffer.from([0xb1, 0xb1, 0xbe, 0xa9]), // 北京
      Buffer.from(";21\n"),
    ]);
    await put("f/gbk.csv", gbk);
    const d1 = await register({ name: "gbk", storagePath: "f/gbk.csv" });
    expect(d1.columns.map((c: { name: string }) => c.name)).toEqual(["city", "pop"]);
    const p1 = await ok(editor, `query($id: ID!) { dataset(id: $id) { preview { rows } } }`, { id: d1.id });
    expect(p1.dataset.preview.rows).toEqual([{ city: "北京", pop: 21 }]);

    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("a,b\n1,'x, y'\n2,'z'\n", "utf16le")]);
    await put("f/u16.csv", utf16);
    const d2 = await register({ name: "u16", storagePath: "f/u16.csv" });
    const p2 = await ok(editor, `query($id: ID!) { dataset(id: $id) { preview { rows totalRows } } }`, { id: d2.id });
    expect(p2.dataset.preview).toEqual({
      rows: [
        { a: 1, b: "x, y" },
        { a: 2, b: "z" },
      ],
      totalRows: 2,
    });

    await put("f/noheader.csv", "1,2024-01-01,true\n2,2024-01-02,false\n");
    const d3 = await register({ name: "noheader", storagePath: "f/noheader.csv" });
    expect(d3.columns).toEqual([
      { name: "column_1", type: "INTEGER", nullable: false },
      { name: "column_2", type: "DATE", nullable: false },
      { name: "column_3", type: "BOOLEAN", nullable: false },
    ]);
    const p3 = await ok(editor, `query($id: ID!) { dataset(id: $id) { preview { rows totalRows } } }`, { id: d3.id });
    expect(p3.dataset.preview.totalRows).toBe(2);
    expect(p3.dataset.preview.rows[0]).toEqual({ column_1: 1, column_2: "2024-01-01", column_3: true });
  });
});

describe("versions, search, restore, stats, download, SQL sources", () => {
  it("keeps versions with checksums and shows the schema change column by column", async () => {
    await put("v/a1.csv", "id,name,score\n1,a,1\n2,,2\n");
    await put("v/a2.csv", "id,name,score,extra\n1,a,1.5,x\n2,b,2,y\n3,c,3,z\n");
    const d = await register({ name: "versioned", storagePath: "v/a1.csv" });
    expect(d.currentVersion).toBe(1);
    const refused = await gql(
      other,
      `mutation($id: ID!) { createDatasetVersion(datasetId: $id, input: { storagePath: "v/a2.csv" }) { id } }`,
      { id: d.id },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const v2 = await ok(
      editor,
      `mutation($id: ID!) { createDatasetVersion(datasetId: $id, input: { storagePath: "v/a2.csv" }) { currentVersion storagePath } }`,
      { id: d.id },
    );
    expect(v2.createDatasetVersion).toEqual({ currentVersion: 2, storagePath: "v/a2.csv" });
    const { dataset } = await ok(
      editor,
      `query($id: ID!) { dataset(id: $id) {
        versions { number checksum rows bytes }
        version(number: 1) { storagePath columns { name } }
        old: preview(version: 1) { rows totalRows }
        schemaChanges(from: 1, to: 2) { column kind from { type nullable } to { type nullable } }
      } }`,
      { id: d.id },
    );
    expect(dataset.versions.map((v: { number: number; rows: number }) => [v.number, v.rows])).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(dataset.versions[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(dataset.versions[0].checksum).not.toBe(dataset.versions[1].checksum);
    expect(dataset.old.totalRows).toBe(2);
    expect(dataset.version.storagePath).toBe("v/a1.csv");
    expect(dataset.schemaChanges).toEqual([
      {
        column: "name",
        kind: "NULLABILITY_CHANGED",
        from: { type: "STRING", nullable: true },
        to: { type: "STRING", nullable: false },
      },
      {
        column: "score",
        kind: "TYPE_CHANGED",
        from: { type: "INTEGER", nullable: false },
        to: { type: "FLOAT", nullable: false },
      },
      { column: "extra", kind: "ADDED", from: null, to: { type: "STRING", nullable: false } },
    ]);

    const sources = await h.services.datasets.sqlSources(h.orm.em.fork(), editor, [d.id]);
    expect(sources).toMatchObject([
      { tableName: "versioned", format: "CSV", key: "v/a2.csv", csv: { delimiter: ",", header: true } },
    ]);
    expect(sources[0]!.store.localPath?.("v/a2.csv")).toBe(join(objects, "v/a2.csv"));
  });

  it("searches column names and tags, restores deleted datasets, signs download URLs", async () => {
    await put("s/x.csv", "zebra_stripes,b\n1,2\n");
    const d = await register({ name: "animals", storagePath: "s/x.csv", tags: ["savanna"] });
    const search = async (q: string) =>
      (
        await ok(editor, `query($q: String) { datasets(search: $q) { edges { node { id } } } }`, { q })
      ).datasets.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(await search("ZEBRA")).toEqual([d.id]);
    expect(await search("savan")).toEqual([d.id]);
    await ok(editor, `mutation($id: ID!) { deleteDataset(id: $id) }`, { id: d.id });
    expect(await search("zebra")).toEqual([]);
    expect(
      (await gql(other, `mutation($id: ID!) { restoreDataset(id: $id) { id } }`, { id: d.id })).errors?.[0]?.extensions
        ?.code,
    ).toBe("NOT_FOUND");
    await ok(editor, `mutation($id: ID!) { restoreDataset(id: $id) { id } }`, { id: d.id });
    expect(await search("zebra")).toEqual([d.id]);
    const { dataset } = await ok(editor, `query($id: ID!) { dataset(id: $id) { downloadUrl } }`, { id: d.id });
    expect(dataset.downloadUrl).toMatch(/^\/objects\/download\//);
    const grant = await verifyDownloadToken(secret, dataset.downloadUrl.slice("/objects/download/".length));
    expect(grant.key).toBe("s/x.csv");
  });

  it("computes statistics as a job with progress", async () => {
    const lines = ["id,city,amount"];
    for (let i = 0; i < 5000; i++) lines.push(`${i},${["Paris", "Rome", "Oslo"][i % 3]},${i % 7 === 0 ? "" : i / 2}`);
    await put("st/s.csv", lines.join("\n"));
    const d = await register({ name: "stats", storagePath: "st/s.csv" });
    const { computeDatasetStats: job } = await ok(
      editor,
      `mutation($id: ID!) { computeDatasetStats(id: $id) { id status } }`,
      { id: d.id },
    );
    let status = job.status;
    let polled: any;
    for (let i = 0; i < 100 && status !== "SUCCEEDED" && status !== "FAILED"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      polled = (
        await ok(editor, `query($id: ID!) { datasetStatsJob(id: $id) { status progress rowsDone error } }`, {
          id: job.id,
        })
      ).datasetStatsJob;
      status = polled.status;
    }
    expect(polled).toMatchObject({ status: "SUCCEEDED", progress: 1, rowsDone: 5000, error: null });
    const { dataset } = await ok(
      editor,
      `query($id: ID!) { dataset(id: $id) { stats { rows version columns { name nullCount distinctEstimate min max topValues { value count } } } } }`,
      { id: d.id },
    );
    expect(dataset.stats.rows).toBe(5000);
    const [id, city, amount] = dataset.stats.columns;
    expect(id).toMatchObject({ nullCount: 0, min: 0, max: 4999 });
    expect(Math.abs(id.distinctEstimate - 5000)).toBeLessThan(250);
    expect(city).toMatchObject({ distinctEstimate: 3, min: "Oslo", max: "Rome" });
    expect(city.topValues).toEqual([
      { value: "Paris", count: 1667 },
      { value: "Rome", count: 1667 },
      { value: "Oslo", count: 1666 },
    ]);
    expect(amount.nullCount).toBe(715);
  });
});
