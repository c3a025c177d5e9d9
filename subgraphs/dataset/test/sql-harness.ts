// Starts the dataset subgraph in-process on SQLite for the SQL and Text-to-SQL suites, and calls it as the
// gateway would (a signed internal token per request).
import "reflect-metadata";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  createLogger,
  INTERNAL_TOKEN_HEADER,
  objectStoreRoot,
  openDatabase,
  signInternalToken,
  startSubgraph,
  type Caller,
  type RunningSubgraph,
} from "@ods/kit";
import { loadDatasetConfig } from "../src/config.js";
import { migrations } from "../src/migrations/index.js";
import { entities, schemaOptions } from "../src/schema.js";
import { createDatasetServices } from "../src/services/index.js";
import { testDatabase } from "../../../test/support/database.js";

export const secret = "dataset-sql-integration-secret-0123456789";
export const alice: Caller = { userId: "11111111-1111-4111-8111-aaaaaaaaaaaa", roles: ["editor"] };
export const admin: Caller = { userId: "33333333-3333-4333-8333-cccccccccccc", roles: ["admin"] };
export const bob: Caller = { userId: "22222222-2222-4222-8222-bbbbbbbbbbbb", roles: ["editor"] };

export interface GraphQLResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; reason?: string; fields?: Record<string, string> } }[];
}

export interface Harness {
  dir: string;
  objects: string;
  subgraph: RunningSubgraph;
  gql<T = Record<string, unknown>>(
    caller: Caller,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>>;
  putObject(key: string, content: string | Buffer): Promise<void>;
  close(): Promise<void>;
}

/** A fresh subgraph with its own data folder; `env` adds configuration (e.g. ODS_MODEL_URL). */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "ods-dataset-sql-"));
  const db = await testDatabase();
  const config = loadDatasetConfig({
    ODS_INTERNAL_SECRET: secret,
    ODS_DATA_DIR: dir,
    ODS_LOG_LEVEL: "silent",
    ODS_DATABASE_URL: db.databaseUrl,
    ...env,
  });
  const objects = objectStoreRoot(config.ODS_DATA_DIR);
  const orm = await openDatabase({
    name: "dataset",
    dataDir: config.ODS_DATA_DIR,
    databaseUrl: db.databaseUrl,
    entities,
    migrations,
  });
  const subgraph = await startSubgraph({
    ...schemaOptions,
    name: "dataset",
    port: 0,
    internalSecret: secret,
    orm,
    logger: createLogger("dataset", config.ODS_LOG_LEVEL),
    services: createDatasetServices(config),
  });
  return {
    dir,
    objects,
    subgraph,
    async gql(caller, query, variables = {}) {
      const res = await fetch(subgraph.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [INTERNAL_TOKEN_HEADER]: await signInternalToken(secret, caller),
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as never;
    },
    async putObject(key, content) {
      const path = join(objects, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    },
    async close() {
      await subgraph.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Registers a dataset over an object already in the store; fails the test on any error. */
export async function registerDataset(h: Harness, name: string, storagePath: string) {
  const res = await h.gql<{ registerDataset: { id: string; tableName: string } }>(
    alice,
    "mutation($input: RegisterDatasetInput!) { registerDataset(input: $input) { id tableName } }",
    { input: { name, storagePath } },
  );
  if (res.errors) throw new Error(`registerDataset failed: ${JSON.stringify(res.errors)}`);
  return res.data!.registerDataset;
}
