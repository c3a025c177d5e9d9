// The data layer end to end, through the gateway, with public clients only: the original plan's acceptance
// (register a dataset named `test` at an s3:// path, fetch it by id, read it with the SDK), uploads in three
// formats with schema inference, versions, SQL over datasets and over a PostgreSQL source, unsafe SQL refused,
// and Text-to-SQL against a model whose answers the test fixes.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { Client as MinioClient } from "minio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OneDataStudio } from "../../packages/sdk/src/index.js";
import { bootPlatform, gql, gqlOk, login, type Platform } from "./harness.js";
import { startS3, type S3Server } from "./s3-server.js";
import { startFixedModel, type FixedModel } from "./upstream-model.js";

const PG = process.env.ODS_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";
const SOURCE_DB = "ods_e2e_source";

let platform: Platform;
let token: string;
let s3: S3Server;
let model: FixedModel;
let scratch: string;
let pgReachable = false;

const SALES_CSV = "city,amount,sold_on\nBeijing,10.5,2024-01-02\nShanghai,7,2024-01-03\nBeijing,3,2024-01-04\n";

async function upload(fileName: string, body: Buffer | string, contentType = "application/octet-stream") {
  const { createUploadUrl } = await gqlOk(
    platform,
    "mutation($input: CreateUploadUrlInput!) { createUploadUrl(input: $input) { url method headers key } }",
    { input: { fileName, contentType, size: Buffer.byteLength(body) } },
    token,
  );
  const res = await fetch(new URL(createUploadUrl.url, platform.url), {
    method: createUploadUrl.method,
    headers: createUploadUrl.headers,
    body,
  });
  expect(res.ok).toBe(true);
  return createUploadUrl.key as string;
}

async function register(input: Record<string, unknown>) {
  const { registerDataset } = await gqlOk(
    platform,
    "mutation($input: RegisterDatasetInput!) { registerDataset(input: $input) { id name tableName format columns { name type nullable } } }",
    { input },
    token,
  );
  return registerDataset;
}

async function runSql(input: Record<string, unknown>) {
  return gql(
    platform,
    "mutation($input: RunSqlInput!) { runSql(input: $input) { columns { name type } rows rowCount truncated elapsedMs } }",
    { input },
    token,
  );
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "ods-e2e-data-"));
  [platform, s3, model] = await Promise.all([bootPlatform(), startS3(["lake"]), startFixedModel("")]);
  token = await login(platform);
  try {
    execFileSync(
      "psql",
      [`${PG}/postgres`, "-qc", `DROP DATABASE IF EXISTS ${SOURCE_DB}`, "-qc", `CREATE DATABASE ${SOURCE_DB}`],
      { stdio: "ignore" },
    );
    execFileSync(
      "psql",
      [
        `${PG}/${SOURCE_DB}`,
        "-qc",
        "CREATE TABLE orders (id serial primary key, city text not null, amount numeric not null); COMMENT ON TABLE orders IS 'Customer orders'; INSERT INTO orders (city, amount) VALUES ('Beijing', 10), ('Shanghai', 5), ('Beijing', 2);",
      ],
      { stdio: "ignore" },
    );
    pgReachable = true;
  } catch {
    console.warn("[data layer] PostgreSQL is not reachable on 127.0.0.1:5432: the database-source tests are skipped");
  }
});

afterAll(async () => {
  await Promise.all([platform?.stop(), s3?.stop(), model?.stop()]);
  await rm(scratch, { recursive: true, force: true });
});

describe("the original plan's acceptance", () => {
  it("registers a dataset named test at an s3:// path, fetches it by id, and reads every row with the SDK", async () => {
    const minio = new MinioClient({
      endPoint: "127.0.0.1",
      port: Number(new URL(s3.endpoint).port),
      useSSL: false,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
    });
    await minio.putObject("lake", "raw/sales.csv", Buffer.from(SALES_CSV));
    const { registerDataSource } = await gqlOk(
      platform,
      "mutation($input: RegisterDataSourceInput!) { registerDataSource(input: $input) { id kind } }",
      {
        input: {
          name: "Lake",
          kind: "S3",
          connection: { endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, region: "us-east-1" },
        },
      },
      token,
    );
    const created = await register({
      name: "test",
      storagePath: "s3://lake/raw/sales.csv",
      dataSourceId: registerDataSource.id,
    });
    const { dataset } = await gqlOk(
      platform,
      "query($id: ID!) { dataset(id: $id) { id name columns { name type } } }",
      { id: created.id },
      token,
    );
    expect(dataset).toMatchObject({ id: created.id, name: "test" });
    expect(dataset.columns.map((c: { name: string }) => c.name)).toEqual(["city", "amount", "sold_on"]);

    const ods = new OneDataStudio({ url: platform.url, accessToken: token });
    try {
      const ds = await ods.datasets.get(created.id);
      const rows: Record<string, unknown>[] = [];
      for await (const row of ds.rows()) rows.push(row);
      expect(rows).toEqual([
        { city: "Beijing", amount: 10.5, sold_on: "2024-01-02" },
        { city: "Shanghai", amount: 7, sold_on: "2024-01-03" },
        { city: "Beijing", amount: 3, sold_on: "2024-01-04" },
      ]);
    } finally {
      await ods.close();
    }
    // The data source's secret is never given back: the connection summary has no field that could carry it.
    const sources = await gqlOk(
      platform,
      "{ dataSources { edges { node { id name kind connection { endpoint host user } } } } }",
      {},
      token,
    );
    expect(sources.dataSources.edges[0].node.connection).toEqual({
      endpoint: s3.endpoint,
      host: "127.0.0.1",
      user: s3.accessKey,
    });
    const secretField = await gql(
      platform,
      "{ dataSources { edges { node { connection { secretKey } } } } }",
      {},
      token,
    );
    expect(secretField.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});

describe("reading from code", () => {
  it("streams every row of a larger dataset through the SDK in one pass, and refuses a stranger", async () => {
    const lines = ["id,label"];
    for (let i = 0; i < 5_000; i++) lines.push(`${i},row ${i}`);
    const ds = await register({
      name: "five thousand",
      storagePath: await upload("many.csv", `${lines.join("\n")}\n`, "text/csv"),
    });
    const ods = new OneDataStudio({ url: platform.url, accessToken: token });
    try {
      let count = 0;
      let last: Record<string, unknown> | undefined;
      for await (const row of (await ods.datasets.get(ds.id)).rows()) {
        count++;
        last = row;
      }
      expect(count).toBe(5_000);
      expect(last).toEqual({ id: 4_999, label: "row 4999" });
    } finally {
      await ods.close();
    }
    const anonymous = await fetch(`${platform.url}/api/datasets/${ds.id}/rows`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as any).error.code).toBe("UNAUTHENTICATED");
  });
});

describe("uploads, formats and versions", () => {
  it("infers the schema of CSV, JSONL and Parquet uploads and previews them", async () => {
    const csv = await register({ name: "sales csv", storagePath: await upload("sales.csv", SALES_CSV, "text/csv") });
    expect(csv.columns).toEqual([
      { name: "city", type: "STRING", nullable: false },
      { name: "amount", type: "FLOAT", nullable: false },
      { name: "sold_on", type: "DATE", nullable: false },
    ]);
    const jsonl = '{"id":1,"tag":"a","ok":true}\n{"id":2,"tag":null,"ok":false}\n';
    const j = await register({ name: "events", storagePath: await upload("events.jsonl", jsonl) });
    expect(j.columns).toEqual([
      { name: "id", type: "INTEGER", nullable: false },
      { name: "tag", type: "STRING", nullable: true },
      { name: "ok", type: "BOOLEAN", nullable: false },
    ]);
    const parquetPath = join(scratch, "metrics.parquet");
    const duck = await (await DuckDBInstance.create(":memory:")).connect();
    await duck.run(
      `COPY (SELECT range AS n, 'row ' || range AS label FROM range(100)) TO '${parquetPath}' (FORMAT parquet)`,
    );
    duck.closeSync();
    const p = await register({
      name: "metrics",
      storagePath: await upload("metrics.parquet", await readFile(parquetPath)),
    });
    expect(p.format).toBe("PARQUET");
    expect(p.columns.map((c: { name: string }) => c.name)).toEqual(["n", "label"]);
    const { dataset } = await gqlOk(
      platform,
      "query($id: ID!) { dataset(id: $id) { preview(limit: 3) { rows totalRows } } }",
      { id: p.id },
      token,
    );
    expect(dataset.preview.rows).toEqual([
      { n: 0, label: "row 0" },
      { n: 1, label: "row 1" },
      { n: 2, label: "row 2" },
    ]);
  });

  it("keeps every version readable and shows the schema change column by column", async () => {
    const first = await register({
      name: "people",
      storagePath: await upload("people.csv", "id,name\n1,Ada\n", "text/csv"),
    });
    const key2 = await upload("people-v2.csv", "id,name,age\n1,Ada,36\n2,Alan,41\n", "text/csv");
    await gqlOk(
      platform,
      "mutation($id: ID!, $path: String!) { createDatasetVersion(datasetId: $id, input: { storagePath: $path }) { id } }",
      { id: first.id, path: key2 },
      token,
    );
    const { dataset } = await gqlOk(
      platform,
      `query($id: ID!) { dataset(id: $id) {
        versions { number rows }
        v1: preview(limit: 5, version: 1) { rows }
        v2: preview(limit: 5, version: 2) { rows }
        schemaChanges(from: 1, to: 2) { column kind }
      } }`,
      { id: first.id },
      token,
    );
    expect(dataset.versions.map((v: { number: number }) => v.number).sort()).toEqual([1, 2]);
    expect(dataset.v1.rows).toEqual([{ id: 1, name: "Ada" }]);
    expect(dataset.v2.rows).toHaveLength(2);
    expect(dataset.schemaChanges).toEqual([expect.objectContaining({ column: "age" })]);
  });
});

describe("SQL", () => {
  it("runs SQL over datasets by their table names", async () => {
    const ds = await register({
      name: "city sales",
      storagePath: await upload("city-sales.csv", SALES_CSV, "text/csv"),
    });
    const result = await runSql({
      datasetIds: [ds.id],
      sql: `SELECT city, SUM(amount) AS total FROM ${ds.tableName} GROUP BY city ORDER BY city`,
    });
    expect(result.errors).toBeUndefined();
    expect(result.data.runSql).toMatchObject({
      rowCount: 2,
      truncated: false,
      rows: [
        { city: "Beijing", total: 13.5 },
        { city: "Shanghai", total: 7 },
      ],
    });
  });

  it("runs SQL over a PostgreSQL source, read-only, and refuses unsafe statements", async (ctx) => {
    if (!pgReachable) ctx.skip();
    const { registerDataSource } = await gqlOk(
      platform,
      "mutation($input: RegisterDataSourceInput!) { registerDataSource(input: $input) { id } }",
      { input: { name: "Shop", kind: "POSTGRES", connection: { url: `${PG}/${SOURCE_DB}` } } },
      token,
    );
    const ok = await runSql({
      dataSourceId: registerDataSource.id,
      sql: "SELECT city, SUM(amount)::float AS total FROM orders GROUP BY city ORDER BY city",
    });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.runSql.rows).toEqual([
      { city: "Beijing", total: 12 },
      { city: "Shanghai", total: 5 },
    ]);
    for (const sql of [
      "DROP TABLE orders",
      "UPDATE orders SET amount = 0",
      "SELECT 1; DELETE FROM orders",
      "COPY orders TO '/tmp/x.csv'",
      "SELECT pg_read_file('/etc/passwd')",
    ]) {
      const refused = await runSql({ dataSourceId: registerDataSource.id, sql });
      expect(refused.errors?.[0]?.extensions?.code, sql).toBe("BAD_USER_INPUT");
    }
    const count = execFileSync("psql", [
      `${PG}/${SOURCE_DB}`,
      "-tAc",
      "SELECT count(*) || ':' || sum(amount) FROM orders",
    ])
      .toString()
      .trim();
    expect(count).toBe("3:17");
  });

  it("refuses file-reading SQL over datasets", async () => {
    const ds = await register({ name: "guarded", storagePath: await upload("guarded.csv", SALES_CSV, "text/csv") });
    for (const sql of ["SELECT * FROM read_csv('/etc/passwd')", `SELECT * FROM ${ds.tableName}; DROP TABLE x`]) {
      const refused = await runSql({ datasetIds: [ds.id], sql });
      expect(refused.errors?.[0]?.extensions?.code, sql).toBe("BAD_USER_INPUT");
    }
  });
});

describe("Text-to-SQL", () => {
  it("asks a question in Chinese, runs the model's SQL, and refuses an unsafe answer", async () => {
    const ds = await register({
      name: "sales by city",
      storagePath: await upload("sales-by-city.csv", SALES_CSV, "text/csv"),
    });
    const { registerModel } = await gqlOk(
      platform,
      "mutation($input: RegisterModelInput!) { registerModel(input: $input) { id } }",
      { input: { name: "fixed-sql", kind: "CHAT", provider: "OPENAI_COMPATIBLE", baseUrl: model.baseUrl } },
      token,
    );
    model.answer = `This sums the sales per city.\n\`\`\`sql\nSELECT city, SUM(amount) AS total FROM ${ds.tableName} GROUP BY city ORDER BY total DESC\n\`\`\``;
    const ask = (question: string) =>
      gql(
        platform,
        "mutation($input: AskDataInput!) { askData(input: $input) { sql explanation tablesUsed result { rows rowCount } } }",
        { input: { question, datasetIds: [ds.id], modelId: registerModel.id, execute: true } },
        token,
      );
    const answer = await ask("每个城市的销售总额是多少？");
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(answer.data.askData.tablesUsed).toEqual([ds.tableName]);
    expect(answer.data.askData.result.rows).toEqual([
      { city: "Beijing", total: 13.5 },
      { city: "Shanghai", total: 7 },
    ]);
    // The prompt carried the schema and the question to the model.
    const prompt = JSON.stringify(model.requests.at(-1));
    expect(prompt).toContain(ds.tableName);
    expect(prompt).toContain("每个城市的销售总额是多少");

    model.answer = "```sql\nDROP TABLE " + ds.tableName + "\n```";
    const unsafe = await ask("Please select and update everything");
    expect(unsafe.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
