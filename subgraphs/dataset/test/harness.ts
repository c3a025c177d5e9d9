// Starts the dataset subgraph in-process for its integration suites (SQLite, or the database ODS_TEST_DIALECT
// names), and calls it as the gateway would (a signed internal token per request).
import "reflect-metadata";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { MikroORM } from "@mikro-orm/core";
import {
  createLogger,
  INTERNAL_TOKEN_HEADER,
  objectStoreRoot,
  openDatabase,
  signInternalToken,
  startSubgraph,
  type Caller,
  type RunningSubgraph,
  type UserDirectory,
} from "@ods/kit";
import { expect } from "vitest";
import { loadDatasetConfig } from "../src/config.js";
import { migrations } from "../src/migrations/index.js";
import { entities, schemaOptions } from "../src/schema.js";
import { createDatasetServices, type DatasetServices } from "../src/services/index.js";
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
  orm: MikroORM;
  services: DatasetServices;
  gql<T = Record<string, unknown>>(
    caller: Caller,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>>;
  /** {@link Harness.gql} that fails the test on any error and returns the data. */
  ok<T = Record<string, unknown>>(caller: Caller, query: string, variables?: Record<string, unknown>): Promise<T>;
  putObject(key: string, content: string | Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * A fresh subgraph with its own data folder; `env` adds configuration (e.g. ODS_MODEL_URL), `directory` the users
 * that sharing may name, and `onBody` sees every response body as it came.
 */
export async function startHarness(
  env: Record<string, string> = {},
  options: { directory?: UserDirectory; onBody?: (body: string) => void } = {},
): Promise<Harness> {
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
  const services = createDatasetServices(config, options.directory ? { directory: options.directory } : {});
  const subgraph = await startSubgraph({
    ...schemaOptions,
    name: "dataset",
    port: 0,
    internalSecret: secret,
    orm,
    logger: createLogger("dataset", config.ODS_LOG_LEVEL),
    services,
  });
  const gql: Harness["gql"] = async (caller, query, variables = {}) => {
    const res = await fetch(subgraph.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [INTERNAL_TOKEN_HEADER]: await signInternalToken(secret, caller),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.text();
    options.onBody?.(body);
    return JSON.parse(body) as never;
  };
  return {
    dir,
    objects,
    subgraph,
    orm,
    services,
    gql,
    async ok(caller, query, variables = {}) {
      const res = await gql(caller, query, variables);
      expect(res.errors).toBeUndefined();
      return res.data as never;
    },
    async putObject(key, content) {
      const path = join(objects, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    },
    async close() {
      await services.datasets.idle();
      await services.dataSources.idle();
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
