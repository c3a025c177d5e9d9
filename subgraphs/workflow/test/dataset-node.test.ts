import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MikroORM } from "@mikro-orm/core";
import {
  DatasetReader,
  createLogger,
  createModelClient,
  createPubSub,
  INTERNAL_TOKEN_HEADER,
  openDatabase,
  signInternalToken,
  startSubgraph,
  type Caller,
  type PubSub,
  type RunningSubgraph,
} from "@ods/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Execution, Workflow } from "../src/entities/index.js";
import { migrations } from "../src/migrations/index.js";
import { entities, schemaOptions } from "../src/schema.js";
import { ExecutionEngine } from "../src/services/engine.js";
import { createWorkflowServices, type WorkflowServices } from "../src/services/index.js";
import { startFakeDatasetServer, type FakeDatasetServer } from "./dataset-server.js";
import { startFakeModelServer, type FakeModelServer } from "./model-server.js";

const SECRET = "workflow-dataset-test-secret-0123456789";
const alice: Caller = { userId: "00000000-0000-4000-8000-0000000a11ce", roles: ["editor"] };
const bob: Caller = { userId: "00000000-0000-4000-8000-000000000b0b", roles: ["editor"] };

const PEOPLE = [
  { id: 1, name: "Ada", score: 3, note: "first, of all" },
  { id: 2, name: "Grace", score: 5, note: null },
  { id: 3, name: "Edsger", score: 4, note: 'said "no"' },
];
const BIG_ROWS = 1_000_000;

let dir: string;
let model: FakeModelServer;
let rowsRoute: FakeDatasetServer;
let subgraph: RunningSubgraph;
let services: WorkflowServices;
let orm: MikroORM;
let pubsub: PubSub;

interface GqlResult<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function gql<T = Record<string, unknown>>(
  caller: Caller,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GqlResult<T>> {
  const res = await fetch(subgraph.url, {
    method: "POST",
    headers: { "content-type": "application/json", [INTERNAL_TOKEN_HEADER]: await signInternalToken(SECRET, caller) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult<T>;
}

async function ok<T = Record<string, unknown>>(
  caller: Caller,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const result = await gql<T>(caller, query, variables);
  expect(result.errors).toBeUndefined();
  return result.data!;
}

interface NodeRunView {
  nodeId: string;
  status: string;
  inputs: Record<string, unknown> | null;
  outputs: Record<string, unknown> | null;
  error: string | null;
}
interface ExecutionView {
  status: string;
  error: string | null;
  outputs: Record<string, unknown> | null;
  nodeRuns: NodeRunView[];
}

const EXECUTION = `query Execution($id: ID!) {
  execution(id: $id) { status error outputs nodeRuns { nodeId status inputs outputs error } }
}`;

/** input → dataset → llm → output; the dataset node's config is `dataset`. */
function datasetGraph(dataset: Record<string, unknown>, prompt = "Summarise:\n{{rows.text}}") {
  return {
    nodes: [
      { id: "in", type: "input", config: {} },
      { id: "rows", type: "dataset", config: dataset },
      { id: "ask", type: "llm", config: { prompt } },
      { id: "out", type: "output", config: { name: "answer" } },
    ],
    edges: [
      { source: "in", target: "rows" },
      { source: "rows", target: "ask" },
      { source: "ask", target: "out" },
    ],
  };
}

async function createWorkflow(caller: Caller, name: string, graph: object): Promise<string> {
  const data = await ok<{ createWorkflow: { id: string } }>(
    caller,
    `mutation Create($input: CreateWorkflowInput!) { createWorkflow(input: $input) { id } }`,
    { input: { name, ...graph } },
  );
  return data.createWorkflow.id;
}

/** Runs a workflow and waits until it has ended. */
async function runToEnd(caller: Caller, workflowId: string, inputs: object = {}): Promise<ExecutionView> {
  const { runWorkflow } = await ok<{ runWorkflow: { id: string } }>(
    caller,
    `mutation Run($id: ID!, $inputs: JSON) { runWorkflow(id: $id, inputs: $inputs) { id } }`,
    { id: workflowId, inputs },
  );
  await services.engine.idle();
  return (await ok<{ execution: ExecutionView }>(caller, EXECUTION, { id: runWorkflow.id })).execution;
}

const node = (execution: ExecutionView, id: string) => execution.nodeRuns.find((r) => r.nodeId === id)!;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ods-workflow-dataset-test-"));
  model = await startFakeModelServer(SECRET);
  rowsRoute = await startFakeDatasetServer(SECRET);
  rowsRoute.datasets.set("people", {
    ownerId: alice.userId!,
    versions: { 1: () => PEOPLE.slice(0, 1).map((p) => ({ ...p, name: `${p.name} (v1)` })), 2: () => PEOPLE },
  });
  rowsRoute.datasets.set("big", {
    ownerId: alice.userId!,
    versions: {
      1: function* () {
        for (let i = 0; i < BIG_ROWS; i++) yield { n: i, text: `row number ${i} of a dataset too large to read whole` };
      },
    },
  });
  rowsRoute.datasets.set("flaky", {
    ownerId: alice.userId!,
    versions: { 1: () => PEOPLE },
    breakAfter: 2,
  });
  const logger = createLogger("workflow-dataset-test", "silent");
  orm = await openDatabase({ name: "workflow", dataDir: dir, entities, migrations });
  pubsub = createPubSub(undefined);
  services = await createWorkflowServices({
    orm,
    pubsub,
    logger,
    retentionSeconds: 60,
    sharedReplicas: false,
    modelClient: createModelClient({ modelUrl: model.url, internalSecret: SECRET }),
    datasets: new DatasetReader(rowsRoute.url, SECRET),
  });
  subgraph = await startSubgraph({
    ...schemaOptions,
    name: "workflow",
    port: 0,
    internalSecret: SECRET,
    orm,
    logger,
    services,
    onClose: async () => {
      await services.engine.close();
      await pubsub.close();
    },
  });
});

afterAll(async () => {
  await subgraph?.close();
  await model?.close();
  await rowsRoute?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("dataset node", () => {
  it("runs input → dataset → llm → output: the rows reach the prompt as CSV, read as the user who ran it", async () => {
    const workflowId = await createWorkflow(
      alice,
      "People summary",
      datasetGraph({ datasetId: "{{input.datasetId}}", limit: 2, columns: ["name", "note"] }),
    );
    const before = rowsRoute.requests.length;
    const execution = await runToEnd(alice, workflowId, { datasetId: "people" });
    expect(execution.error).toBeNull();
    expect(execution.status).toBe("SUCCEEDED");

    const csv = 'name,note\nAda,"first, of all"\nGrace,';
    expect(node(execution, "rows")).toMatchObject({
      status: "SUCCEEDED",
      inputs: { datasetId: "people", limit: 2, columns: ["name", "note"] },
      outputs: {
        rows: [
          { name: "Ada", note: "first, of all" },
          { name: "Grace", note: null },
        ],
        rowCount: 2,
        columns: ["name", "note"],
        truncated: true,
        text: csv,
      },
    });
    // The llm node's prompt held the CSV, and the model's reply became the output.
    expect(node(execution, "ask").inputs).toMatchObject({ prompt: `Summarise:\n${csv}` });
    expect(execution.outputs).toEqual({ answer: `Hello from the model: Summarise:\n${csv}` });

    // The route got one request, for the newest version, with a valid token naming the runner.
    const requests = rowsRoute.requests.slice(before);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      datasetId: "people",
      version: null,
      caller: { userId: alice.userId, service: "workflow" },
    });
  });

  it("reads the version asked for, every column by default, and is not truncated when all rows fit", async () => {
    const workflowId = await createWorkflow(alice, "Old people", datasetGraph({ datasetId: "people", version: 1 }));
    const before = rowsRoute.requests.length;
    const execution = await runToEnd(alice, workflowId);
    expect(execution.status).toBe("SUCCEEDED");
    expect(rowsRoute.requests.slice(before).map((r) => r.version)).toEqual(["1"]);
    expect(node(execution, "rows").outputs).toEqual({
      rows: [{ id: 1, name: "Ada (v1)", score: 3, note: "first, of all" }],
      rowCount: 1,
      columns: ["id", "name", "score", "note"],
      truncated: false,
      text: 'id,name,score,note\n1,Ada (v1),3,"first, of all"',
    });
  });

  it("stops reading at the limit: the response is closed long before the dataset's end", async () => {
    const workflowId = await createWorkflow(alice, "Big", datasetGraph({ datasetId: "big", limit: 10 }));
    const before = rowsRoute.requests.length;
    const started = performance.now();
    const execution = await runToEnd(alice, workflowId);
    expect(execution.status).toBe("SUCCEEDED");
    expect(performance.now() - started).toBeLessThan(10_000);
    const outputs = node(execution, "rows").outputs!;
    expect(outputs).toMatchObject({ rowCount: 10, truncated: true, columns: ["n", "text"] });
    expect((outputs.rows as { n: number }[]).map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [request] = rowsRoute.requests.slice(before);
    await request!.finished;
    expect(request!.closedEarly).toBe(true);
    expect(request!.written).toBeLessThan(BIG_ROWS / 10);
  });

  it("fails with NOT_FOUND wording for a dataset the runner cannot see, or that does not exist", async () => {
    // Alice's dataset, in Bob's workflow: the route sees Bob and answers 404.
    const bobs = await createWorkflow(bob, "Not mine", datasetGraph({ datasetId: "people" }));
    const denied = await runToEnd(bob, bobs);
    expect(denied.status).toBe("FAILED");
    expect(rowsRoute.requests.at(-1)!.caller.userId).toBe(bob.userId);
    expect(node(denied, "rows").error).toBe("Dataset people was not found (or you cannot read it)");
    expect(denied.error).toBe(`Node "rows" (dataset) failed: ${node(denied, "rows").error}`);
    expect(node(denied, "ask").status).toBe("SKIPPED");

    const missing = await runToEnd(alice, await createWorkflow(alice, "Nope", datasetGraph({ datasetId: "nope" })));
    expect(node(missing, "rows").error).toBe("Dataset nope was not found (or you cannot read it)");

    const noVersion = await runToEnd(
      alice,
      await createWorkflow(alice, "No v9", datasetGraph({ datasetId: "people", version: 9 })),
    );
    expect(node(noVersion, "rows").error).toBe("Version 9 of dataset people was not found (or you cannot read it)");
  });

  it("fails when a column to keep does not exist, naming the dataset's columns", async () => {
    const workflowId = await createWorkflow(
      alice,
      "Bad column",
      datasetGraph({ datasetId: "people", columns: ["age"] }),
    );
    const execution = await runToEnd(alice, workflowId);
    expect(execution.status).toBe("FAILED");
    expect(node(execution, "rows").error).toBe(
      'Dataset people has no column "age" (its columns: id, name, score, note)',
    );
  });

  it("fails when the stream breaks off part-way, or the dataset service cannot be reached", async () => {
    const broken = await runToEnd(alice, await createWorkflow(alice, "Flaky", datasetGraph({ datasetId: "flaky" })));
    expect(broken.status).toBe("FAILED");
    expect(node(broken, "rows").error).toMatch(
      /^Dataset flaky could not be read: The dataset stream broke off after 2 rows/,
    );

    // A dataset service that is down: an engine whose reader points at a port nobody listens on any more.
    const gone = await startFakeDatasetServer(SECRET);
    await gone.close();
    const engine = new ExecutionEngine({
      orm,
      pubsub,
      logger: createLogger("workflow-dataset-test-down", "silent"),
      retentionSeconds: 60,
      sharedReplicas: false,
      modelClient: createModelClient({ modelUrl: model.url, internalSecret: SECRET }),
      datasets: new DatasetReader(gone.url, SECRET),
    });
    const graph = datasetGraph({ datasetId: "people" });
    const workflowId = await createWorkflow(alice, "Down", graph);
    const fork = orm.em.fork();
    const execution = fork.create(Execution, {
      workflow: fork.getReference(Workflow, workflowId),
      workflowVersion: 1,
      triggeredBy: alice.userId!,
    });
    await fork.flush();
    engine.start(execution.id, graph, alice);
    await engine.idle();
    const { execution: stored } = await ok<{ execution: ExecutionView }>(alice, EXECUTION, { id: execution.id });
    expect(stored.status).toBe("FAILED");
    expect(node(stored, "rows").error).toMatch(
      new RegExp(
        `^Dataset people could not be read: The dataset service at ${gone.url} could not be reached \\(.*ECONNREFUSED`,
      ),
    );
  });

  it("checks the config when the workflow is saved, and lists the node type with its JSON Schema", async () => {
    const save = (config: Record<string, unknown>) =>
      gql(alice, `mutation Create($input: CreateWorkflowInput!) { createWorkflow(input: $input) { id } }`, {
        input: { name: "Invalid", ...datasetGraph(config) },
      });
    for (const [config, message] of [
      [{}, /Node "rows" \(dataset\) has an invalid config: datasetId: /],
      [{ datasetId: "people", limit: 10_001 }, /limit: must be at most 10000/],
      [{ datasetId: "people", version: 1.5 }, /version: must be a whole number/],
      [{ datasetId: "people", columns: [] }, /columns: must list at least one column/],
      [{ datasetId: "{{ask.text}}" }, /\{\{ask\.text\}\} reads node "ask", which does not run before it/],
    ] as const) {
      const result = await save(config);
      expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(result.errors?.[0]?.message).toMatch(message);
    }

    const { nodeTypes } = await ok<{
      nodeTypes: { name: string; category: string; outputs: { name: string }[]; configSchema: Record<string, never> }[];
    }>(alice, `query { nodeTypes { name category outputs { name } configSchema } }`);
    const dataset = nodeTypes.find((t) => t.name === "dataset")!;
    expect(dataset.category).toBe("data");
    expect(dataset.outputs.map((o) => o.name)).toEqual(["rows", "rowCount", "columns", "truncated", "text"]);
    expect(dataset.configSchema).toMatchObject({
      required: ["datasetId"],
      properties: {
        datasetId: { type: "string" },
        version: { type: "integer", minimum: 1 },
        limit: { type: "integer", default: 100, minimum: 1, maximum: 10_000 },
        columns: { type: "array", items: { type: "string" } },
      },
    });
  });
});

describe("dataset lineage", () => {
  const ENTITIES = `query Lineage($reps: [_Any!]!) {
    _entities(representations: $reps) { ... on Dataset { id workflows { id name } } }
  }`;
  const reps = (...ids: string[]) => ids.map((id) => ({ __typename: "Dataset", id }));

  it("lists the caller's workflows reading a dataset, and the datasets a workflow reads", async () => {
    const one = await createWorkflow(alice, "Lineage A", datasetGraph({ datasetId: "lin-1" }));
    const both = await createWorkflow(alice, "Lineage B", {
      nodes: [
        { id: "in", type: "input", config: {} },
        { id: "d1", type: "dataset", config: { datasetId: "lin-2" } },
        { id: "d2", type: "dataset", config: { datasetId: "lin-1" } },
        { id: "d3", type: "dataset", config: { datasetId: "lin-2", version: 1 } },
        { id: "out", type: "output", config: { value: "{{d1.text}}{{d2.text}}{{d3.text}}" } },
      ],
      edges: [
        { source: "in", target: "d1" },
        { source: "in", target: "d2" },
        { source: "in", target: "d3" },
        { source: "d1", target: "out" },
        { source: "d2", target: "out" },
        { source: "d3", target: "out" },
      ],
    });
    // A placeholder names a dataset only when the run starts: no lineage.
    const dynamic = await createWorkflow(alice, "Lineage C", datasetGraph({ datasetId: "{{input.id}}" }));
    const bobs = await createWorkflow(bob, "Lineage Bob", datasetGraph({ datasetId: "lin-1" }));

    const asAlice = await ok<{ _entities: { id: string; workflows: { id: string; name: string }[] }[] }>(
      alice,
      ENTITIES,
      { reps: reps("lin-1", "lin-2", "lin-none") },
    );
    expect(asAlice._entities).toEqual([
      {
        id: "lin-1",
        workflows: [
          { id: one, name: "Lineage A" },
          { id: both, name: "Lineage B" },
        ],
      },
      { id: "lin-2", workflows: [{ id: both, name: "Lineage B" }] },
      { id: "lin-none", workflows: [] },
    ]);
    const asBob = await ok<{ _entities: { workflows: { id: string }[] }[] }>(bob, ENTITIES, { reps: reps("lin-1") });
    expect(asBob._entities[0]!.workflows).toEqual([{ id: bobs, name: "Lineage Bob" }]);

    const DATASETS = `query W($id: ID!) { workflow(id: $id) { datasets { id } } }`;
    expect((await ok<{ workflow: { datasets: unknown } }>(alice, DATASETS, { id: both })).workflow.datasets).toEqual([
      { id: "lin-2" },
      { id: "lin-1" },
    ]);
    expect((await ok<{ workflow: { datasets: unknown } }>(alice, DATASETS, { id: dynamic })).workflow.datasets).toEqual(
      [],
    );

    // Lineage follows the current graph: once the dataset node is gone, the workflow no longer reads it.
    await ok(
      alice,
      `mutation U($id: ID!, $input: UpdateWorkflowInput!) { updateWorkflow(id: $id, input: $input) { id } }`,
      {
        id: one,
        input: {
          nodes: [
            { id: "in", type: "input", config: {} },
            { id: "out", type: "output", config: { value: "nothing" } },
          ],
          edges: [{ source: "in", target: "out" }],
        },
      },
    );
    const after = await ok<{ _entities: { workflows: { id: string }[] }[] }>(alice, ENTITIES, { reps: reps("lin-1") });
    expect(after._entities[0]!.workflows.map((w) => w.id)).toEqual([both]);
  });
});
