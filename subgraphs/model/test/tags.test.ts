import { createLogger, openDatabase, signInternalToken, type Caller } from "@ods/kit";
import type { MikroORM } from "@mikro-orm/core";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelSubgraph } from "../src/app.js";
import { migrations } from "../src/migrations/index.js";
import { entities } from "../src/schema.js";

const secret = "model-tags-test-internal-secret-0123456789";
const editor: Caller = { userId: "00000000-0000-4000-8000-00000000f001", roles: ["editor"] };

let dir: string;
let orm: MikroORM;
let subgraph: Awaited<ReturnType<typeof startModelSubgraph>>;

type GqlResult = { data?: Record<string, any>; errors?: { message: string; extensions: { code: string } }[] };

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<GqlResult> {
  const res = await fetch(subgraph.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-ods-internal-token": await signInternalToken(secret, editor) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult;
}

const REGISTER = `mutation($input: RegisterModelInput!) { registerModel(input: $input) { id name tags } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateModelInput!) { updateModel(id: $id, input: $input) { id tags } }`;
const LIST = `query($tag: String, $kind: ModelKind, $first: Int, $after: String) {
  models(tag: $tag, kind: $kind, first: $first, after: $after) {
    totalCount edges { node { name tags } } pageInfo { hasNextPage endCursor }
  }
}`;

// Registration never calls the upstream, so an unused loopback port will do.
const register = (name: string, tags?: string[]) =>
  gql(REGISTER, { input: { name, kind: "CHAT", baseUrl: "http://127.0.0.1:9/v1", ...(tags ? { tags } : {}) } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ods-model-tags-"));
  orm = await openDatabase({ name: "model", dataDir: dir, entities, migrations });
  subgraph = await startModelSubgraph(
    {
      ODS_MODEL_PORT: 0,
      ODS_INTERNAL_SECRET: secret,
      ODS_SECRET_KEY: undefined,
      ODS_BUILTIN_TOKEN_DELAY_MS: 1,
      ODS_MODEL_UPSTREAM_TIMEOUT_MS: 1_000,
      ODS_MODEL_CHECK_TIMEOUT_MS: 1_000,
    },
    orm,
    createLogger("model-tags-test", "silent"),
  );
});

afterAll(async () => {
  await subgraph?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("model tags", () => {
  it("stores tags, defaults them to [] and filters models by tag with correct paging", async () => {
    const untagged = await register("tags-none");
    expect(untagged.errors).toBeUndefined();
    expect(untagged.data!.registerModel.tags).toEqual([]);
    for (const name of ["tags-a", "tags-b", "tags-c"]) {
      const r = await register(name, ["prod", "eu"]);
      expect(r.data!.registerModel.tags).toEqual(["prod", "eu"]);
    }
    await register("tags-d", ["dev"]);

    const first = await gql(LIST, { tag: "prod", first: 2 });
    expect(first.errors).toBeUndefined();
    expect(first.data!.models.totalCount).toBe(3);
    expect(first.data!.models.edges).toHaveLength(2);
    expect(first.data!.models.pageInfo.hasNextPage).toBe(true);
    const second = await gql(LIST, { tag: "prod", first: 2, after: first.data!.models.pageInfo.endCursor });
    // The two pages together hold each tagged model once (the order among same-second rows is by id).
    const names = [...first.data!.models.edges, ...second.data!.models.edges].map((e: any) => e.node.name);
    expect(names.sort()).toEqual(["tags-a", "tags-b", "tags-c"]);
    expect(second.data!.models).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false } });

    const none = await gql(LIST, { tag: "prod", kind: "EMBEDDING" });
    expect(none.data!.models).toMatchObject({ totalCount: 0, edges: [] });
  });

  it("replaces tags on update and the filter follows", async () => {
    const r = await register("tags-e", ["x"]);
    const id = r.data!.registerModel.id as string;
    const updated = await gql(UPDATE, { id, input: { tags: ["y", "y", " z "] } });
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateModel.tags).toEqual(["y", "z"]);
    expect((await gql(LIST, { tag: "x" })).data!.models.totalCount).toBe(0);
    expect((await gql(LIST, { tag: "z" })).data!.models.edges.map((e: any) => e.node.name)).toEqual(["tags-e"]);
    const cleared = await gql(UPDATE, { id, input: { tags: null } });
    expect(cleared.data!.updateModel.tags).toEqual([]);
  });

  it("rejects empty, long and too many tags", async () => {
    for (const tags of [[""], ["x".repeat(51)], Array.from({ length: 21 }, (_, i) => `t${i}`)]) {
      const r = await register(`tags-bad-${tags.length}-${tags[0]!.length}`, tags);
      expect(r.errors?.[0]?.extensions.code).toBe("BAD_USER_INPUT");
      expect(r.errors?.[0]?.message).toMatch(/tags/);
    }
    const list = await gql(LIST, { first: 100 });
    expect(list.data!.models.edges.some((e: any) => String(e.node.name).startsWith("tags-bad"))).toBe(false);
  });
});
