#!/usr/bin/env node
// The data layer's speed, in one run on this machine:
//  - time to the first 20 preview rows of a large CSV through the gateway, against `head -n 21` of the same file;
//  - full-scan rows per second of that CSV and of the same data as Parquet (runSql count over the dataset);
//  - runSql for a group-by over 1M rows.
// BENCH_CSV_MB sets the CSV's size (default 1024, as the issue asks; smaller for a quick look).
import { execFileSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { DuckDBInstance } from "@duckdb/node-api";
import { bootBench } from "./boot.mjs";

const targetMb = Number(process.env.BENCH_CSV_MB ?? 1024);
const dataDir = await mkdtemp(join(tmpdir(), "ods-bench-data-"));
const objects = join(dataDir, "objects", "bench");
await mkdir(objects, { recursive: true });

/** Writes a CSV of about `mb` megabytes: id, city, amount, day. */
async function writeCsv(path, mb) {
  const out = createWriteStream(path);
  const cities = ["Beijing", "Shanghai", "Shenzhen", "Hangzhou", "Chengdu", "Berlin", "Paris", "Lagos"];
  out.write("id,city,amount,day\n");
  let bytes = 0;
  let id = 0;
  while (bytes < mb * 1024 * 1024) {
    let chunk = "";
    for (let i = 0; i < 10_000; i++, id++) {
      chunk += `${id},${cities[id % cities.length]},${((id * 7919) % 100000) / 100},2024-${String((id % 12) + 1).padStart(2, "0")}-${String((id % 28) + 1).padStart(2, "0")}\n`;
    }
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return id;
}

const time = async (fn) => {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
};

console.log(`Generating a ${targetMb} MB CSV…`);
const csvPath = join(objects, "big.csv");
const rows = await writeCsv(csvPath, targetMb);
const parquetPath = join(objects, "big.parquet");
const smallPath = join(objects, "million.csv");
const duck = await (await DuckDBInstance.create(":memory:")).connect();
await duck.run(`COPY (SELECT * FROM read_csv('${csvPath}')) TO '${parquetPath}' (FORMAT parquet)`);
await duck.run(`COPY (SELECT * FROM read_csv('${csvPath}') LIMIT 1000000) TO '${smallPath}' (HEADER, DELIMITER ',')`);
duck.closeSync();

const { gql, stop } = await bootBench({ dataDir });
try {
  const register = async (name, storagePath) =>
    (
      await gql("mutation($input: RegisterDatasetInput!) { registerDataset(input: $input) { id tableName } }", {
        input: { name, storagePath },
      })
    ).registerDataset;
  const runSql = (datasetIds, sql) =>
    gql("mutation($input: RunSqlInput!) { runSql(input: $input) { rows elapsedMs } }", {
      input: { datasetIds, sql, timeoutMs: 120000 },
    });

  const big = await register("big csv", "bench/big.csv");
  const bigParquet = await register("big parquet", "bench/big.parquet");
  const million = await register("million", "bench/million.csv");

  const preview = await time(() =>
    gql("query($id: ID!) { dataset(id: $id) { preview(limit: 20) { rows } } }", { id: big.id }),
  );
  const head = await time(async () => execFileSync("head", ["-n", "21", csvPath]));
  const csvScan = await time(() => runSql([big.id], `SELECT count(*) AS n, sum(amount) AS s FROM ${big.tableName}`));
  const parquetScan = await time(() =>
    runSql([bigParquet.id], `SELECT count(*) AS n, sum(amount) AS s FROM ${bigParquet.tableName}`),
  );
  const groupBy = await time(() =>
    runSql([million.id], `SELECT city, count(*) AS n, avg(amount) AS a FROM ${million.tableName} GROUP BY city`),
  );

  const size = (await stat(csvPath)).size;
  console.log(
    `\nData layer (${(size / 1024 ** 3).toFixed(2)} GB CSV, ${rows.toLocaleString()} rows; 2 cores, Node ${process.version})`,
  );
  console.table([
    {
      what: "first 20 preview rows (gateway → dataset)",
      ms: +preview.ms.toFixed(1),
      baseline: "head -n 21",
      "baseline ms": +head.ms.toFixed(1),
    },
    {
      what: "full scan, CSV (runSql count+sum)",
      ms: +csvScan.ms.toFixed(0),
      "rows/s": Math.round(rows / (csvScan.ms / 1000)),
    },
    {
      what: "full scan, Parquet (runSql count+sum)",
      ms: +parquetScan.ms.toFixed(0),
      "rows/s": Math.round(rows / (parquetScan.ms / 1000)),
    },
    {
      what: "group-by over 1M rows (runSql)",
      ms: +groupBy.ms.toFixed(0),
      "rows/s": Math.round(1_000_000 / (groupBy.ms / 1000)),
    },
  ]);
} finally {
  await stop();
}
