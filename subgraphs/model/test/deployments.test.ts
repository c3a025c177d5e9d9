import type { MikroORM } from "@mikro-orm/core";
import { createLogger, openDatabase, signInternalToken, type Caller } from "@ods/kit";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelSubgraph } from "../src/app.js";
import { ModelDeployment, ModelEndpoint } from "../src/entities/index.js";
import { migrations } from "../src/migrations/index.js";
import { entities } from "../src/schema.js";
import { DeploymentWatcher } from "../src/services/deployments/index.js";

const secret = "deployments-test-internal-secret-0123456789";
const owner: Caller = { userId: "00000000-0000-4000-8000-0000000de001", roles: ["editor"] };
const otherEditor: Caller = { userId: "00000000-0000-4000-8000-0000000de002", roles: ["editor"] };
const viewer: Caller = { userId: "00000000-0000-4000-8000-0000000de003", roles: ["viewer"] };
const admin: Caller = { userId: "00000000-0000-4000-8000-0000000de004", roles: ["admin"] };

let dir: string;
let orm: MikroORM;
let subgraph: Awaited<ReturnType<typeof startModelSubgraph>>;
let base: string;

/**
 * A stand-in for vLLM starting up on loopback: every path prefix is one "server" (`/a/v1`, `/b/v1`, …) that
 * answers 503 until it is marked up, then lists its model like vLLM's GET /v1/models.
 */
let vllm: Server;
let vllmUrl: string;
const up = new Set<string>();
const modelListCalls = new Map<string, number>();

type GqlResult = { data?: Record<string, any>; errors?: { message: string; extensions: { code: string } }[] };

async function gql(query: string, variables: Record<string, unknown> = {}, caller: Caller = owner) {
  const res = await fetch(subgraph.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-ods-internal-token": await signInternalToken(secret, caller) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult;
}

async function gqlOk(query: string, variables: Record<string, unknown> = {}, caller: Caller = owner) {
  const result = await gql(query, variables, caller);
  expect(result.errors).toBeUndefined();
  return result.data!;
}

async function registerModel(name: string, caller: Caller = owner): Promise<string> {
  const data = await gqlOk(
    `mutation($input: RegisterModelInput!) { registerModel(input: $input) { id } }`,
    { input: { name, kind: "CHAT", baseUrl: `${vllmUrl}/primary/v1`, upstreamModel: `${name}-upstream` } },
    caller,
  );
  return data.registerModel.id;
}

const FIELDS = `id modelId name image model servedModelName gpus replicas vllmArgs namespace port endpointUrl endpoint
  status statusMessage checkedAt readyAt manifest manifestUrl registeredModel { id name }`;
const CREATE = `mutation($input: CreateModelDeploymentInput!) { createModelDeployment(input: $input) { ${FIELDS} } }`;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function deployment(id: string, caller: Caller = owner) {
  return (await gqlOk(`query($id: ID!) { modelDeployment(id: $id) { ${FIELDS} } }`, { id }, caller)).modelDeployment;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ods-deployments-"));
  vllm = createServer((req, res) => {
    const prefix = req.url?.match(/^\/([^/]+)\/v1\/models$/)?.[1];
    if (!prefix) {
      res.writeHead(404).end();
      return;
    }
    modelListCalls.set(prefix, (modelListCalls.get(prefix) ?? 0) + 1);
    if (!up.has(prefix)) {
      res.writeHead(503, { "content-type": "text/plain" }).end("loading weights");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ object: "list", data: [{ id: prefix, object: "model", created: 1, owned_by: "vllm" }] }));
  });
  await new Promise<void>((resolve) => vllm.listen(0, "127.0.0.1", resolve));
  vllmUrl = `http://127.0.0.1:${(vllm.address() as AddressInfo).port}`;
  orm = await openDatabase({ name: "model", dataDir: dir, entities, migrations });
  subgraph = await startModelSubgraph(
    {
      ODS_MODEL_PORT: 0,
      ODS_INTERNAL_SECRET: secret,
      ODS_SECRET_KEY: undefined,
      ODS_BUILTIN_TOKEN_DELAY_MS: 1,
      ODS_MODEL_UPSTREAM_TIMEOUT_MS: 5_000,
      ODS_MODEL_CHECK_TIMEOUT_MS: 300,
      ODS_DEPLOYMENT_POLL_MS: 40,
      ODS_DEPLOYMENT_READY_TIMEOUT_MS: 0,
    },
    orm,
    createLogger("deployments-test", "silent"),
  );
  base = `http://127.0.0.1:${subgraph.port}`;
});

afterAll(async () => {
  await subgraph?.close();
  await new Promise((resolve) => vllm?.close(resolve));
  await orm?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("creating deployments", () => {
  it("records the spec with its defaults and renders a manifest that parses back", async () => {
    const modelId = await registerModel("qwen-small");
    const { createModelDeployment: d } = await gqlOk(CREATE, {
      input: { modelId, name: "qwen-small", model: "Qwen/Qwen2.5-0.5B-Instruct", endpointUrl: `${vllmUrl}/never/v1/` },
    });
    expect(d).toMatchObject({
      modelId,
      name: "qwen-small",
      image: "vllm/vllm-openai:v0.6.3",
      servedModelName: "qwen-small-upstream",
      gpus: 1,
      replicas: 1,
      vllmArgs: [],
      namespace: "default",
      port: 8000,
      endpointUrl: `${vllmUrl}/never/v1`,
      endpoint: `${vllmUrl}/never/v1`,
      status: "PENDING",
      manifestUrl: `/v1/deployments/${d.id}/manifest.yaml`,
      registeredModel: { id: modelId, name: "qwen-small" },
    });
    const [dep, svc] = parseAllDocuments(d.manifest).map((doc) => doc.toJSON());
    expect(dep.kind).toBe("Deployment");
    expect(dep.spec.template.spec.containers[0].args.slice(0, 4)).toEqual([
      "--model",
      "Qwen/Qwen2.5-0.5B-Instruct",
      "--served-model-name",
      "qwen-small-upstream",
    ]);
    expect(dep.spec.template.spec.containers[0].resources.limits).toEqual({ "nvidia.com/gpu": "1" });
    expect(svc).toMatchObject({ kind: "Service", metadata: { name: "qwen-small", namespace: "default" } });
  });

  it("names what is wrong with a spec", async () => {
    const modelId = await registerModel("spec-checks");
    const input = { modelId, name: "ok-name", model: "org/model" };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ name: "Bad_Name" }, "name", /DNS label/],
      [{ namespace: "-x" }, "namespace", /DNS label/],
      [{ model: "two words" }, "model", /without spaces/],
      [{ gpus: -1 }, "gpus", /negative/],
      [{ replicas: 0 }, "replicas", /at least 1/],
      [{ port: 70000 }, "port", /TCP port/],
      [{ vllmArgs: ["--max-model-len", "8192", "--port=9000"] }, "vllmArgs.2", /--port is set from/],
      [{ vllmArgs: ["--api-key", "secret"] }, "vllmArgs.0", /plain text/],
      [{ endpointUrl: "ftp://host/v1" }, "endpointUrl", /http/],
    ];
    for (const [change, field, message] of cases) {
      const result = await gql(CREATE, { input: { ...input, ...change } });
      expect(result.errors?.[0]?.extensions.code, field).toBe("BAD_USER_INPUT");
      expect((result.errors![0]!.extensions as any).fields[field], field).toMatch(message);
    }
    const builtin = await gql(CREATE, { input: { ...input, modelId: "builtin-offline" } });
    expect(builtin.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(builtin.errors![0]!.message).toMatch(/built-in/);
    const missing = await gql(CREATE, { input: { ...input, modelId: "00000000-0000-4000-8000-000000000000" } });
    expect(missing.errors?.[0]?.extensions.code).toBe("NOT_FOUND");
    // Nothing was written by the refused requests.
    expect(await orm.em.fork().count(ModelDeployment, { modelId })).toBe(0);
  });

  it("lets only the model's owner or an admin deploy it, and only editors create deployments", async () => {
    const modelId = await registerModel("owned-model");
    const input = { modelId, name: "owned-model", model: "org/model" };
    expect((await gql(CREATE, { input }, otherEditor)).errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    expect((await gql(CREATE, { input }, viewer)).errors?.[0]?.extensions.code).toBe("FORBIDDEN");
    await gqlOk(CREATE, { input: { ...input, name: "admin-made" } }, admin);
    await gqlOk(CREATE, { input });
    const again = await gql(CREATE, { input });
    expect(again.errors?.[0]).toMatchObject({ extensions: { code: "CONFLICT" } });
    // The same name in another namespace is another object.
    await gqlOk(CREATE, { input: { ...input, namespace: "staging" } });
  });
});

describe("seeing and deleting deployments", () => {
  it("shows deployments to their owner and admins only, and downloads the manifest", async () => {
    const modelId = await registerModel("visible-model");
    const { createModelDeployment: d } = await gqlOk(CREATE, {
      input: {
        modelId,
        name: "visible",
        model: "org/model",
        gpus: 4,
        replicas: 2,
        vllmArgs: ["--max-model-len", "4096"],
      },
    });
    const list = `query($modelId: ID) { modelDeployments(modelId: $modelId) { id } }`;
    expect((await gqlOk(list, { modelId })).modelDeployments).toEqual([{ id: d.id }]);
    expect((await gqlOk(list, { modelId }, admin)).modelDeployments).toEqual([{ id: d.id }]);
    expect((await gqlOk(list, { modelId }, otherEditor)).modelDeployments).toEqual([]);
    expect((await gqlOk(list, {}, otherEditor)).modelDeployments).toEqual([]);
    expect(await deployment(d.id, otherEditor)).toBeNull();

    const download = async (caller?: Caller) =>
      fetch(`${base}${d.manifestUrl}`, {
        headers: caller ? { authorization: `Bearer ${await signInternalToken(secret, caller)}` } : {},
      });
    const res = await download(owner);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/yaml/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="?visible\.yaml"?$/);
    const text = await res.text();
    expect(text).toBe(d.manifest);
    const [dep] = parseAllDocuments(text).map((doc) => doc.toJSON());
    expect(dep.spec.replicas).toBe(2);
    expect(dep.spec.template.spec.containers[0].args).toEqual(
      expect.arrayContaining(["--tensor-parallel-size", "4", "--max-model-len", "4096"]),
    );
    expect((await download(admin)).status).toBe(200);
    const hidden = await download(otherEditor);
    expect(hidden.status).toBe(404);
    expect(((await hidden.json()) as any).error).toMatchObject({ type: "invalid_request_error", code: "not_found" });
    expect((await download()).status).toBe(401);

    const del = `mutation($id: ID!) { deleteModelDeployment(id: $id) }`;
    expect((await gql(del, { id: d.id }, otherEditor)).errors?.[0]?.extensions.code).toBe("NOT_FOUND");
    expect((await gqlOk(del, { id: d.id })).deleteModelDeployment).toBe(true);
    expect(await deployment(d.id)).toBeNull();
    expect((await download(owner)).status).toBe(404);
  });
});

describe("the watcher", () => {
  it("keeps a deployment PENDING while its endpoint fails, then adds the endpoint to the model and marks it READY", async () => {
    const modelId = await registerModel("watched-model");
    const endpointUrl = `${vllmUrl}/watched/v1`;
    const { createModelDeployment: d } = await gqlOk(CREATE, {
      input: { modelId, name: "watched", model: "org/model", endpointUrl },
    });
    const pending = await waitFor("a failed probe", async () => {
      const current = await deployment(d.id);
      return current.checkedAt ? current : undefined;
    });
    expect(pending).toMatchObject({ status: "PENDING", readyAt: null });
    expect(pending.statusMessage).toBe(`${endpointUrl}/models: HTTP 503`);
    expect(await orm.em.fork().count(ModelEndpoint, { modelId, baseUrl: endpointUrl })).toBe(0);

    up.add("watched");
    const ready = await waitFor("READY", async () => {
      const current = await deployment(d.id);
      return current.status === "READY" ? current : undefined;
    });
    expect(ready.statusMessage).toBeNull();
    expect(ready.readyAt).not.toBeNull();
    const endpoints = await orm.em.fork().find(ModelEndpoint, { modelId }, { orderBy: { position: "asc" } });
    expect(endpoints.map((e) => e.baseUrl)).toEqual([`${vllmUrl}/primary/v1`, endpointUrl]);

    // A READY deployment is not polled again.
    const calls = modelListCalls.get("watched");
    await new Promise((r) => setTimeout(r, 150));
    expect(modelListCalls.get("watched")).toBe(calls);
  });

  it("fails a deployment whose model is gone, and one that never answered within the deadline", async () => {
    const goneId = await registerModel("gone-model");
    up.add("gone");
    const { createModelDeployment: gone } = await gqlOk(CREATE, {
      input: { modelId: goneId, name: "gone", model: "org/model", endpointUrl: `${vllmUrl}/gone/v1` },
    });
    // Deleted before the watcher sees the endpoint answer (it may also win the race: then the model had it).
    await gqlOk(`mutation($id: ID!) { deleteModel(id: $id) }`, { id: goneId });
    const settled = await waitFor("settled", async () => {
      const current = await deployment(gone.id);
      return current.status !== "PENDING" ? current : undefined;
    });
    if (settled.status === "FAILED") {
      expect(settled.statusMessage).toMatch(/could not be added to the model: Model .* was not found/);
      expect(settled.registeredModel).toBeNull();
    }

    const lateId = await registerModel("late-model");
    const { createModelDeployment: late } = await gqlOk(CREATE, {
      input: { modelId: lateId, name: "late", model: "org/model", endpointUrl: `${vllmUrl}/late/v1` },
    });
    // Created two minutes ago, as far as a watcher with a one-minute deadline can tell.
    await orm.em.fork().nativeUpdate(ModelDeployment, { id: late.id }, { createdAt: new Date(Date.now() - 120_000) });
    const strict = new DeploymentWatcher(orm, {
      addEndpoint: (em, modelId, endpoint) => subgraph.services.models.addEndpoint(em, modelId, endpoint),
      pollMs: 0,
      checkTimeoutMs: 300,
      readyTimeoutMs: 60_000,
      logger: createLogger("deployments-test", "silent"),
    });
    const result = await strict.poll();
    expect(result.failed).toContain(late.id);
    const failed = await deployment(late.id);
    expect(failed.status).toBe("FAILED");
    expect(failed.statusMessage).toBe(
      `${vllmUrl}/late/v1/models did not answer within 1 min of the deployment's creation: ${vllmUrl}/late/v1/models: HTTP 503`,
    );
    // FAILED is final: the endpoint coming up later changes nothing.
    up.add("late");
    await strict.poll();
    expect((await deployment(late.id)).status).toBe("FAILED");
  });

  it("adds each endpoint once when several watchers (replicas) poll the same deployments at once", async () => {
    const modelId = await registerModel("raced-model");
    const ids: string[] = [];
    for (const name of ["raced-a", "raced-b", "raced-c"]) {
      up.add(name);
      const { createModelDeployment: d } = await gqlOk(CREATE, {
        input: { modelId, name, model: "org/model", endpointUrl: `${vllmUrl}/${name}/v1` },
      });
      ids.push(d.id);
    }
    const added: string[] = [];
    const replica = () =>
      new DeploymentWatcher(orm, {
        addEndpoint: async (em, id, endpoint) => {
          added.push(endpoint.baseUrl);
          return subgraph.services.models.addEndpoint(em, id, endpoint);
        },
        pollMs: 0,
        checkTimeoutMs: 300,
        readyTimeoutMs: 0,
        logger: createLogger("deployments-test", "silent"),
      });
    const [a, b] = await Promise.all([replica().poll(), replica().poll()]);
    // With the subgraph's own watcher polling too, who wins varies; that nobody adds an endpoint twice does not.
    expect(new Set(added).size).toBe(added.length);
    expect([...a.ready, ...b.ready].every((id) => ids.includes(id))).toBe(true);
    for (const id of ids) {
      expect(await waitFor("READY", async () => ((await deployment(id)).status === "READY" ? true : undefined))).toBe(
        true,
      );
    }
    const endpoints = await orm.em.fork().find(ModelEndpoint, { modelId });
    expect(endpoints.map((e) => e.baseUrl).sort()).toEqual(
      [`${vllmUrl}/primary/v1`, ...["raced-a", "raced-b", "raced-c"].map((n) => `${vllmUrl}/${n}/v1`)].sort(),
    );
  });
});
