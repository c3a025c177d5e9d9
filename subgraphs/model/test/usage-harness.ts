import type { MikroORM } from "@mikro-orm/core";
import { createLogger, openDatabase, signInternalToken, type Caller } from "@ods/kit";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { startModelSubgraph } from "../src/app.js";
import type { ModelConfig } from "../src/config.js";
import { migrations } from "../src/migrations/index.js";
import { entities } from "../src/schema.js";
import { startUpstream, UPSTREAM_KEY } from "./upstream.js";

export const secret = "model-usage-test-internal-secret-0123456789";

export type GqlResult = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are checked by the assertions
  data?: Record<string, any>;
  errors?: { message: string; extensions: { code: string } }[];
};

/** A model subgraph on SQLite in a temp folder, with the tiny upstream of test/upstream.ts. */
export async function bootModel(extra: Partial<ModelConfig> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "ods-model-usage-"));
  const upstream = await startUpstream();
  const orm: MikroORM = await openDatabase({ name: "model", dataDir: dir, entities, migrations });
  const subgraph = await startModelSubgraph(
    {
      ODS_MODEL_PORT: 0,
      ODS_INTERNAL_SECRET: secret,
      ODS_SECRET_KEY: undefined,
      ODS_BUILTIN_TOKEN_DELAY_MS: 1,
      ODS_MODEL_UPSTREAM_TIMEOUT_MS: 5_000,
      ODS_MODEL_CHECK_TIMEOUT_MS: 1_000,
      ODS_MODEL_PROBE_INTERVAL_MS: 0,
      ODS_DEPLOYMENT_POLL_MS: 0,
      ...extra,
    },
    orm,
    createLogger("model-usage-test", "silent"),
  );
  const base = `http://127.0.0.1:${subgraph.port}`;

  async function gql(query: string, variables: Record<string, unknown>, caller: Caller): Promise<GqlResult> {
    const res = await fetch(subgraph.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-ods-internal-token": await signInternalToken(secret, caller) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResult;
  }

  async function client(caller: Caller) {
    return new OpenAI({ baseURL: `${base}/v1`, apiKey: await signInternalToken(secret, caller), maxRetries: 0 });
  }

  /** Registers an upstream chat model of the tiny upstream; returns its id. */
  async function register(caller: Caller, input: Record<string, unknown>): Promise<string> {
    const result = await gql(
      `mutation($input: RegisterModelInput!) { registerModel(input: $input) { id } }`,
      { input: { kind: "CHAT", baseUrl: upstream.url, apiKey: UPSTREAM_KEY, ...input } },
      caller,
    );
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!.registerModel.id as string;
  }

  return {
    base,
    subgraph,
    upstream,
    gql,
    client,
    register,
    async close() {
      await subgraph.close();
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
