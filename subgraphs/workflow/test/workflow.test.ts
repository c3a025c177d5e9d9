import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DatasetReader,
  createLogger,
  createModelClient,
  createPubSub,
  INTERNAL_TOKEN_HEADER,
  openDatabase,
  signInternalToken,
  staticUserDirectory,
  startSubgraph,
  type Caller,
  type PubSub,
  type RunningSubgraph,
} from "@ods/kit";
import type { MikroORM } from "@mikro-orm/core";
import { createClient, type Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Execution, ExecutionStatus, NodeRun, NodeRunStatus, Workflow } from "../src/entities/index.js";
import { migrations } from "../src/migrations/index.js";
import { entities, schemaOptions } from "../src/schema.js";
import { ExecutionEngine } from "../src/services/engine.js";
import { executionStream } from "../src/services/events.js";
import { createWorkflowServices, type WorkflowServices } from "../src/services/index.js";
import { startFakeModelServer, type FakeModelServer } from "./model-server.js";

const SECRET = "workflow-test-secret-0123456789abcdef";
const alice: Caller = { userId: "00000000-0000-4000-8000-00000000a11c", roles: ["editor"] };
const bob: Caller = { userId: "00000000-0000-4000-8000-000000000b0b", roles: ["editor"] };
// Sharing: carol owns, dave and erin are shared with, admin is an admin who owns nothing.
const carol: Caller = { userId: "00000000-0000-4000-8000-0000000ca201", roles: ["editor"] };
const dave: Caller = { userId: "00000000-0000-4000-8000-0000000da7e0", roles: ["editor"] };
const erin: Caller = { userId: "00000000-0000-4000-8000-0000000e2140", roles: ["viewer"] };
const admin: Caller = { userId: "00000000-0000-4000-8000-0000000ad310", roles: ["admin"] };
const directory = staticUserDirectory([
  { id: carol.userId!, email: "carol@example.com", name: "Carol", disabled: false },
  { id: dave.userId!, email: "dave@example.com", name: "Dave", disabled: false },
  { id: erin.userId!, email: "erin@example.com", name: "Erin", disabled: false },
  { id: "00000000-0000-4000-8000-0000000f0000", email: "gone@example.com", name: "Gone", disabled: true },
]);
/** These tests run no dataset node (test/dataset-node.test.ts does), so the reader points at a closed port. */
const noDatasets = new DatasetReader("http://127.0.0.1:9", SECRET);

let dir: string;
let model: FakeModelServer;
let subgraph: RunningSubgraph;
let services: WorkflowServices;
let orm: MikroORM;
let pubsub: PubSub;
const clients: Client[] = [];

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

/** Like {@link gql}, failing the test on any error. */
async function ok<T = Record<string, unknown>>(
  caller: Caller,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const result = await gql<T>(caller, query, variables);
  expect(result.errors).toBeUndefined();
  return result.data!;
}

interface Event {
  seq: number;
  type: string;
  nodeId: string | null;
  nodeType: string | null;
  status: string | null;
  output: Record<string, unknown> | null;
  error: string | null;
  execution: { id: string; status: string };
}

const EVENTS = `subscription Events($id: ID!, $after: Int) {
  executionEvents(executionId: $id, afterSeq: $after) {
    seq type nodeId nodeType status output error execution { id status }
  }
}`;

async function wsClient(caller: Caller): Promise<Client> {
  const token = await signInternalToken(SECRET, caller);
  const client = createClient({
    url: subgraph.url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { [INTERNAL_TOKEN_HEADER]: token },
    retryAttempts: 0,
  });
  clients.push(client);
  return client;
}

/** Follows an execution over graphql-ws directly to the subgraph until the server completes the stream. */
async function follow(
  caller: Caller,
  executionId: string,
  afterSeq?: number,
  onEvent?: (event: Event) => void,
): Promise<Event[]> {
  const client = await wsClient(caller);
  const events: Event[] = [];
  await new Promise<void>((resolve, reject) => {
    client.subscribe<{ executionEvents: Event }>(
      { query: EVENTS, variables: { id: executionId, after: afterSeq } },
      {
        next: (result) => {
          if (result.errors) reject(Object.assign(new Error(result.errors[0]!.message), { errors: result.errors }));
          const event = result.data!.executionEvents;
          events.push(event);
          onEvent?.(event);
        },
        error: (err) => reject(Object.assign(new Error("subscription failed"), { errors: err })),
        complete: resolve,
      },
    );
  });
  return events;
}

const CREATE = `mutation Create($input: CreateWorkflowInput!) {
  createWorkflow(input: $input) { id name version nodes edges owner { id } }
}`;
const RUN = `mutation Run($id: ID!, $inputs: JSON) { runWorkflow(id: $id, inputs: $inputs) { id status workflowVersion } }`;
const EXECUTION = `query Execution($id: ID!) {
  execution(id: $id) {
    id status outputs error lastSeq startedAt finishedAt triggeredBy workflow { id }
    nodeRuns { nodeId nodeType status inputs outputs error startedAt finishedAt durationMs }
  }
}`;

function llmGraph(prompt: string) {
  return {
    nodes: [
      { id: "in", type: "input", config: { fields: ["question"] } },
      { id: "ask", type: "llm", config: { prompt } },
      { id: "out", type: "output", config: { name: "answer" } },
    ],
    edges: [
      { source: "in", target: "ask" },
      { source: "ask", target: "out" },
    ],
  };
}

async function createWorkflow(caller: Caller, name: string, graph?: object): Promise<string> {
  const data = await ok<{ createWorkflow: { id: string } }>(caller, CREATE, { input: { name, ...graph } });
  return data.createWorkflow.id;
}

async function run(caller: Caller, workflowId: string, inputs: object): Promise<string> {
  const data = await ok<{ runWorkflow: { id: string; status: string } }>(caller, RUN, { id: workflowId, inputs });
  expect(["PENDING", "RUNNING"]).toContain(data.runWorkflow.status);
  return data.runWorkflow.id;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ods-workflow-test-"));
  model = await startFakeModelServer(SECRET);
  const logger = createLogger("workflow-test", "silent");
  orm = await openDatabase({ name: "workflow", dataDir: dir, entities, migrations });
  pubsub = createPubSub(undefined);
  services = await createWorkflowServices({
    orm,
    pubsub,
    logger,
    retentionSeconds: 60,
    sharedReplicas: false,
    modelIdleTimeoutMs: 400,
    modelClient: createModelClient({ modelUrl: model.url, internalSecret: SECRET }),
    datasets: noDatasets,
    directory,
  });
  subgraph = await startSubgraph({
    ...schemaOptions,
    name: "workflow",
    port: 0,
    internalSecret: SECRET,
    orm,
    logger,
    services,
    readiness: [{ name: "pubsub", check: () => pubsub.ping() }],
    onClose: async () => {
      await services.engine.close();
      await pubsub.close();
    },
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await subgraph?.close();
  await model?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("workflow subgraph", () => {
  it("creates a workflow with the ready-made graph and reports ready", async () => {
    const data = await ok<{ createWorkflow: { version: number; nodes: { type: string }[]; owner: { id: string } } }>(
      alice,
      CREATE,
      { input: { name: "Default" } },
    );
    expect(data.createWorkflow.nodes.map((n) => n.type)).toEqual(["input", "llm", "output"]);
    expect(data.createWorkflow.version).toBe(1);
    expect(data.createWorkflow.owner).toEqual({ id: alice.userId });
    const ready = await fetch(subgraph.url.replace(/graphql$/, "readyz"));
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: { name: string }[] }).checks.map((c) => c.name)).toContain("pubsub");
  });

  it("runs a workflow, streaming events in order, and stores the execution node by node", async () => {
    const workflowId = await createWorkflow(alice, "Ask", llmGraph("Q: {{input.question}}"));
    const executionId = await run(alice, workflowId, { question: "why?" });
    const events = await follow(alice, executionId);

    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const lifecycle = events.filter((e) => e.type !== "NODE_OUTPUT").map((e) => `${e.type} ${e.nodeId ?? ""}`.trim());
    expect(lifecycle).toEqual([
      "NODE_STARTED in",
      "NODE_FINISHED in",
      "NODE_STARTED ask",
      "NODE_FINISHED ask",
      "NODE_STARTED out",
      "NODE_FINISHED out",
      "EXECUTION_FINISHED",
    ]);
    const outputs = events.filter((e) => e.type === "NODE_OUTPUT");
    expect(outputs.length).toBeGreaterThan(0);
    expect(outputs.every((e) => e.nodeId === "ask")).toBe(true);
    const askStart = events.findIndex((e) => e.type === "NODE_STARTED" && e.nodeId === "ask");
    const askEnd = events.findIndex((e) => e.type === "NODE_FINISHED" && e.nodeId === "ask");
    expect(events.indexOf(outputs[0]!)).toBeGreaterThan(askStart);
    expect(events.indexOf(outputs.at(-1)!)).toBeLessThan(askEnd);
    const text = "Hello from the model: Q: why?";
    expect(outputs.at(-1)!.output).toEqual({ text });
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: "EXECUTION_FINISHED", status: "SUCCEEDED", output: { answer: text } });
    expect(last.execution).toEqual({ id: executionId, status: "SUCCEEDED" });

    const { execution } = await ok<{ execution: Record<string, unknown> & { nodeRuns: Record<string, unknown>[] } }>(
      alice,
      EXECUTION,
      { id: executionId },
    );
    expect(execution).toMatchObject({
      status: "SUCCEEDED",
      outputs: { answer: text },
      error: null,
      lastSeq: events.length,
      triggeredBy: alice.userId,
      workflow: { id: workflowId },
    });
    expect(execution.nodeRuns.map((r) => [r.nodeId, r.nodeType, r.status])).toEqual([
      ["in", "input", "SUCCEEDED"],
      ["ask", "llm", "SUCCEEDED"],
      ["out", "output", "SUCCEEDED"],
    ]);
    for (const nodeRun of execution.nodeRuns) {
      expect(typeof nodeRun.durationMs).toBe("number");
      expect(Date.parse(nodeRun.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(nodeRun.startedAt as string));
    }
    expect(execution.nodeRuns[1]).toMatchObject({
      inputs: { modelId: "builtin-offline", prompt: "Q: why?" },
      outputs: { text, usage: { promptTokens: 7, completionTokens: 5 } },
    });
    expect(model.callers.at(-1)).toMatchObject({ userId: alice.userId, service: "workflow" });

    // Resuming after any seq gives exactly the rest.
    const rest = await follow(alice, executionId, 3);
    expect(rest.map((e) => [e.seq, e.type])).toEqual(events.slice(3).map((e) => [e.seq, e.type]));
    expect(await follow(alice, executionId, events.length)).toEqual([]);

    const listed = await ok<{
      workflows: { totalCount: number; edges: { node: { id: string; lastExecution: { id: string } | null } }[] };
    }>(alice, `query { workflows(search: "ASK") { totalCount edges { node { id lastExecution { id } } } } }`);
    expect(listed.workflows.edges.map((e) => e.node)).toEqual([{ id: workflowId, lastExecution: { id: executionId } }]);
    const executions = await ok<{ executions: { totalCount: number } }>(
      alice,
      `query($w: ID) { executions(workflowId: $w, status: SUCCEEDED) { totalCount } }`,
      { w: workflowId },
    );
    expect(executions.executions.totalCount).toBe(1);
  });

  it("fails the run when the model API answers HTTP 500, with the error on the llm node run", async () => {
    const workflowId = await createWorkflow(alice, "Broken", llmGraph("FAIL {{input.question}}"));
    const executionId = await run(alice, workflowId, { question: "x" });
    const events = await follow(alice, executionId);
    expect(events.at(-1)).toMatchObject({ type: "EXECUTION_FINISHED", status: "FAILED" });
    expect(events.at(-1)!.error).toMatch(/Node "ask" \(llm\) failed: .*HTTP 500.*upstream exploded/);
    const { execution } = await ok<{
      execution: { status: string; error: string; nodeRuns: Record<string, unknown>[] };
    }>(alice, EXECUTION, { id: executionId });
    expect(execution.status).toBe("FAILED");
    expect(execution.nodeRuns.map((r) => [r.nodeId, r.status])).toEqual([
      ["in", "SUCCEEDED"],
      ["ask", "FAILED"],
      ["out", "SKIPPED"],
    ]);
    expect(execution.nodeRuns[1]!.error).toMatch(/HTTP 500/);
  });

  it("fails the run with a clear error when a required input is missing", async () => {
    const workflowId = await createWorkflow(alice, "Needs input", llmGraph("{{input.question}}"));
    const executionId = await run(alice, workflowId, {});
    const events = await follow(alice, executionId);
    expect(events.at(-1)).toMatchObject({ type: "EXECUTION_FINISHED", status: "FAILED" });
    expect(events.at(-1)!.error).toMatch(/Missing required input: question/);
  });

  it("cancels a running execution, aborting the model call", async () => {
    const workflowId = await createWorkflow(alice, "Slow", llmGraph("SLOW {{input.question}}"));
    const executionId = await run(alice, workflowId, { question: "x" });
    let cancelled: Promise<{ cancelExecution: { status: string } }> | undefined;
    const events = await follow(alice, executionId, undefined, (event) => {
      if (event.type === "NODE_OUTPUT" && !cancelled) {
        cancelled = ok(alice, `mutation($id: ID!) { cancelExecution(id: $id) { status } }`, { id: executionId });
      }
    });
    expect((await cancelled!).cancelExecution.status).toBe("CANCELLED");
    expect(events.at(-1)).toMatchObject({ type: "EXECUTION_FINISHED", status: "CANCELLED" });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    await expect.poll(() => model.aborted).toBeGreaterThan(0);
    const { execution } = await ok<{ execution: { status: string; nodeRuns: { status: string }[] } }>(
      alice,
      EXECUTION,
      { id: executionId },
    );
    expect(execution.status).toBe("CANCELLED");
    expect(execution.nodeRuns.map((r) => r.status)).toEqual(["SUCCEEDED", "FAILED", "SKIPPED"]);
  });

  it("shows another user NOT_FOUND for everything of someone else's", async () => {
    const workflowId = await createWorkflow(alice, "Private", llmGraph("{{input.question}}"));
    const executionId = await run(alice, workflowId, { question: "q" });
    for (const [query, variables] of [
      [`query($id: ID!) { workflow(id: $id) { id } }`, { id: workflowId }],
      [`query($id: ID!) { execution(id: $id) { id } }`, { id: executionId }],
      [RUN, { id: workflowId, inputs: {} }],
      [`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: executionId }],
      [`mutation($id: ID!) { updateWorkflow(id: $id, input: { name: "x" }) { id } }`, { id: workflowId }],
      [`mutation($id: ID!) { deleteWorkflow(id: $id) }`, { id: workflowId }],
      [`query($w: ID) { executions(workflowId: $w) { totalCount } }`, { w: workflowId }],
    ] as const) {
      const result = await gql(bob, query, variables);
      expect(result.errors?.[0]?.extensions?.code, query).toBe("NOT_FOUND");
    }
    const listed = await ok<{ workflows: { totalCount: number } }>(bob, `query { workflows { totalCount } }`);
    expect(listed.workflows.totalCount).toBe(0);
    const err = (await follow(bob, executionId).catch((e: unknown) => e)) as {
      errors: { extensions: { code: string } }[];
    };
    expect(err.errors[0]!.extensions.code).toBe("NOT_FOUND");
    await follow(alice, executionId);
  });

  it("rejects bad graphs with BAD_USER_INPUT and raises the version on graph changes", async () => {
    const cyclic = llmGraph("{{input.question}}");
    cyclic.edges.push({ source: "out", target: "ask" });
    const bad = await gql(alice, CREATE, { input: { name: "Loop", ...cyclic } });
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(bad.errors?.[0]?.message).toMatch(/cycle: "ask" → "out" → "ask"/);

    const workflowId = await createWorkflow(alice, "Versioned", llmGraph("{{input.question}}"));
    const UPDATE = `mutation($id: ID!, $input: UpdateWorkflowInput!) { updateWorkflow(id: $id, input: $input) { name version } }`;
    const renamed = await ok<{ updateWorkflow: { version: number } }>(alice, UPDATE, {
      id: workflowId,
      input: { name: "Renamed" },
    });
    expect(renamed.updateWorkflow).toEqual({ name: "Renamed", version: 1 });
    const changed = await ok<{ updateWorkflow: { version: number } }>(alice, UPDATE, {
      id: workflowId,
      input: llmGraph("Now: {{input.question}}"),
    });
    expect(changed.updateWorkflow.version).toBe(2);
    const same = await ok<{ updateWorkflow: { version: number } }>(alice, UPDATE, {
      id: workflowId,
      input: llmGraph("Now: {{input.question}}"),
    });
    expect(same.updateWorkflow.version).toBe(2);
    const dangling = await gql(alice, UPDATE, { id: workflowId, input: { edges: [{ source: "in", target: "gone" }] } });
    expect(dangling.errors?.[0]?.message).toMatch(/target node "gone" does not exist/);

    expect(await ok(alice, `mutation($id: ID!) { deleteWorkflow(id: $id) }`, { id: workflowId })).toEqual({
      deleteWorkflow: true,
    });
    const gone = await gql(alice, `query($id: ID!) { workflow(id: $id) { id } }`, { id: workflowId });
    expect(gone.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("passes an llm node's promptTemplate as prompt_template, its variables' placeholders rendered", async () => {
    const graph = {
      nodes: [
        { id: "in", type: "input", config: { fields: ["question"] } },
        { id: "first", type: "llm", config: { prompt: "draft {{input.question}}" } },
        {
          id: "second",
          type: "llm",
          config: {
            prompt: "refine",
            systemPrompt: "Be brief.",
            promptTemplate: {
              name: "reviewer",
              version: 3,
              variables: {
                question: "{{input.question}}",
                draft: "{{first.text}}",
                tries: 2,
                tags: ["{{input.question}}"],
              },
            },
          },
        },
        { id: "out", type: "output", config: { name: "answer" } },
      ],
      edges: [
        { source: "in", target: "first" },
        { source: "first", target: "second" },
        { source: "second", target: "out" },
      ],
    };
    const workflowId = await createWorkflow(alice, "Templated", graph);
    const executionId = await run(alice, workflowId, { question: "why?" });
    const events = await follow(alice, executionId);
    expect(events.at(-1)).toMatchObject({ type: "EXECUTION_FINISHED", status: "SUCCEEDED" });

    const rendered = {
      name: "reviewer",
      version: 3,
      variables: { question: "why?", draft: "Hello from the model: draft why?", tries: 2, tags: ["why?"] },
    };
    const body = model.bodies.find((b) => (b.messages as { content: string }[]).at(-1)?.content === "refine")!;
    expect(body.prompt_template).toEqual(rendered);
    // The model API puts the template's system message first; the node's own system prompt is sent once.
    expect(body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "refine" },
    ]);
    const first = model.bodies.find((b) => (b.messages as { content: string }[]).at(-1)?.content === "draft why?")!;
    expect("prompt_template" in first).toBe(false);
    const { execution } = await ok<{ execution: { nodeRuns: { nodeId: string; inputs: unknown }[] } }>(
      alice,
      EXECUTION,
      { id: executionId },
    );
    expect(execution.nodeRuns.find((r) => r.nodeId === "second")!.inputs).toMatchObject({ promptTemplate: rendered });

    // The shape is checked when the graph is saved, placeholders in variables included.
    const withTemplate = (promptTemplate: unknown) => ({
      ...graph,
      nodes: graph.nodes.map((n) => (n.id === "second" ? { ...n, config: { prompt: "x", promptTemplate } } : n)),
    });
    for (const [bad, message] of [
      [{ version: 1 }, /promptTemplate/],
      [{ name: "" }, /promptTemplate/],
      [{ name: "t", version: 0 }, /promptTemplate/],
      [{ name: "t", extra: true }, /promptTemplate/],
      [{ name: "t", variables: { v: "{{nowhere.text}}" } }, /nowhere/],
    ] as const) {
      const result = await gql(alice, CREATE, { input: { name: "Bad template", ...withTemplate(bad) } });
      expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(result.errors?.[0]?.message).toMatch(message);
    }
  });

  it("lists node types with their config JSON Schema", async () => {
    const data = await ok<{ nodeTypes: { name: string; configSchema: { properties: Record<string, unknown> } }[] }>(
      alice,
      `query { nodeTypes { name category description inputs { name } outputs { name } configSchema } }`,
    );
    expect(data.nodeTypes.map((t) => t.name)).toEqual(["input", "llm", "dataset", "output"]);
    expect(Object.keys(data.nodeTypes[1]!.configSchema.properties)).toEqual(
      expect.arrayContaining(["modelId", "prompt", "systemPrompt", "temperature", "maxTokens", "promptTemplate"]),
    );
  });

  it("marks executions left running by a crashed process FAILED and ends their event log", async () => {
    const workflowId = await createWorkflow(alice, "Crashed", llmGraph("{{input.question}}"));
    const fork = orm.em.fork();
    const execution = fork.create(Execution, {
      workflow: fork.getReference(Workflow, workflowId),
      workflowVersion: 1,
      status: ExecutionStatus.RUNNING,
      triggeredBy: alice.userId!,
    });
    const nodeRun = fork.create(NodeRun, { execution, position: 0, nodeId: "in", nodeType: "input" });
    await fork.flush();
    expect(await services.engine.recoverInterrupted()).toBe(1);
    const stored = await orm.em.fork().findOneOrFail(NodeRun, nodeRun.id);
    expect(stored).toMatchObject({ status: NodeRunStatus.FAILED, error: expect.stringMatching(/Interrupted/) });
    const events = await follow(alice, execution.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ seq: 1, type: "EXECUTION_FINISHED", status: "FAILED" });
    expect(events[0]!.error).toMatch(/Interrupted by a restart/);
  });

  it("leaves a live run of another replica alone when pub/sub is shared; a sweep ends it once it is stale", async () => {
    const workflowId = await createWorkflow(alice, "Replicas", llmGraph("SLOW {{input.question}}"));
    const executionId = await run(alice, workflowId, { question: "x" });
    await expect
      .poll(async () => (await orm.em.fork().findOneOrFail(Execution, executionId)).status)
      .toBe(ExecutionStatus.RUNNING);
    const abortedBefore = model.aborted;
    // A second replica starts against the same database and pub/sub (as with Redis).
    const replica = await createWorkflowServices({
      orm,
      pubsub,
      logger: createLogger("workflow-test-replica", "silent"),
      retentionSeconds: 60,
      sharedReplicas: true,
      modelClient: createModelClient({ modelUrl: model.url, internalSecret: SECRET }),
      datasets: noDatasets,
    });
    try {
      expect((await orm.em.fork().findOneOrFail(Execution, executionId)).status).toBe(ExecutionStatus.RUNNING);
      expect(await replica.engine.recoverInterrupted(30_000)).toBe(0);
      // The owner stalls (its heartbeat goes stale): the other replica's sweep ends the run, and the owner,
      // which lost it, stops without overwriting the row or appending after the final event.
      await orm.em.fork().nativeUpdate(Execution, { id: executionId }, { heartbeatAt: new Date(Date.now() - 60_000) });
      expect(await replica.engine.recoverInterrupted(30_000)).toBe(1);
      await expect.poll(() => services.engine.isRunning(executionId)).toBe(false);
      await expect.poll(() => model.aborted).toBeGreaterThan(abortedBefore);
    } finally {
      await replica.engine.close();
    }
    const events = await follow(alice, executionId);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: "EXECUTION_FINISHED", status: "FAILED" });
    expect(last.error).toMatch(/Interrupted by a restart/);
    expect(await pubsub.readAfter(executionStream(executionId), last.seq)).toEqual([]);
    const { execution } = await ok<{ execution: { status: string; error: string; nodeRuns: { status: string }[] } }>(
      alice,
      EXECUTION,
      { id: executionId },
    );
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toMatch(/Interrupted by a restart/);
    expect(execution.nodeRuns.map((r) => r.status)).toEqual(["SUCCEEDED", "FAILED"]);
  });

  it("fails the node runs left RUNNING when the run itself breaks (here: the event log refuses appends)", async () => {
    const workflowId = await createWorkflow(alice, "Broken log", llmGraph("{{input.question}}"));
    const fork = orm.em.fork();
    const execution = fork.create(Execution, {
      workflow: fork.getReference(Workflow, workflowId),
      workflowVersion: 1,
      triggeredBy: alice.userId!,
    });
    await fork.flush();
    const refusing: PubSub = {
      ...pubsub,
      append: () => Promise.reject(new Error("append refused")),
    };
    const engine = new ExecutionEngine({
      orm,
      pubsub: refusing,
      logger: createLogger("workflow-test-broken", "silent"),
      retentionSeconds: 60,
      sharedReplicas: false,
      modelClient: createModelClient({ modelUrl: model.url, internalSecret: SECRET }),
      datasets: noDatasets,
    });
    engine.start(execution.id, llmGraph("{{input.question}}"), alice);
    await engine.idle();
    const { execution: stored } = await ok<{
      execution: { status: string; error: string; nodeRuns: { status: string; error: string }[] };
    }>(alice, EXECUTION, { id: execution.id });
    expect(stored.status).toBe("FAILED");
    expect(stored.error).toMatch(/The run stopped unexpectedly: append refused/);
    expect(stored.nodeRuns).toEqual([{ ...stored.nodeRuns[0], status: "FAILED", error: stored.error }]);
    // The final event never reached the log, yet a follower ends with one rebuilt from the row.
    const events = await follow(alice, execution.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "EXECUTION_FINISHED", status: "FAILED" });
  });

  it("ends a follower waiting on a run that finished without its final event reaching the log", async () => {
    const workflowId = await createWorkflow(alice, "Quiet log", llmGraph("{{input.question}}"));
    const fork = orm.em.fork();
    const execution = fork.create(Execution, {
      workflow: fork.getReference(Workflow, workflowId),
      workflowVersion: 1,
      status: ExecutionStatus.RUNNING,
      triggeredBy: alice.userId!,
    });
    await fork.flush();
    const following = follow(alice, execution.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await orm.em
      .fork()
      .nativeUpdate(
        Execution,
        { id: execution.id },
        { status: ExecutionStatus.FAILED, error: "gone", lastSeq: 4, finishedAt: new Date() },
      );
    const events = await following;
    expect(events).toEqual([expect.objectContaining({ seq: 4, type: "EXECUTION_FINISHED", status: "FAILED" })]);
    expect(events[0]!.error).toBe("gone");
  });

  it("fails an llm node whose model stream stalls after its headers (ODS_MODEL_IDLE_TIMEOUT_MS)", async () => {
    const workflowId = await createWorkflow(alice, "Stalled", llmGraph("STALL {{input.question}}"));
    const executionId = await run(alice, workflowId, { question: "x" });
    const abortedBefore = model.aborted;
    const events = await follow(alice, executionId);
    expect(events.at(-1)).toMatchObject({ type: "EXECUTION_FINISHED", status: "FAILED" });
    expect(events.at(-1)!.error).toMatch(/Node "ask" \(llm\) failed: The model sent nothing for 0.4 s/);
    const { execution } = await ok<{ execution: { nodeRuns: { nodeId: string; status: string }[] } }>(
      alice,
      EXECUTION,
      { id: executionId },
    );
    expect(execution.nodeRuns.map((r) => [r.nodeId, r.status])).toEqual([
      ["in", "SUCCEEDED"],
      ["ask", "FAILED"],
      ["out", "SKIPPED"],
    ]);
    await expect.poll(() => model.aborted).toBeGreaterThan(abortedBefore);
  });
});

describe("sharing a workflow", () => {
  const SHARE = `mutation($id: ID!, $input: ShareInput!) {
    shareWorkflow(id: $id, input: $input) { id principalType userId email role permission }
  }`;
  const UNSHARE = `mutation($id: ID!, $shareId: ID!) { unshareWorkflow(id: $id, shareId: $shareId) }`;
  const VIEW = `query($id: ID!) { workflow(id: $id) { id access shares { id email role permission } } }`;
  const UPDATE = `mutation($id: ID!) { updateWorkflow(id: $id, input: { name: "Renamed" }) { id name } }`;
  const code = (result: GqlResult<unknown>) => result.errors?.[0]?.extensions?.code;

  it("lets a viewer open and run it, an editor also change it, and only the owner delete or share it", async () => {
    const workflowId = await createWorkflow(carol, "Team report", llmGraph("{{input.question}}"));
    expect(code(await gql(dave, VIEW, { id: workflowId }))).toBe("NOT_FOUND");

    const shared = await ok<{ shareWorkflow: { id: string; userId: string; email: string; permission: string } }>(
      carol,
      SHARE,
      { id: workflowId, input: { email: "Dave@Example.com", permission: "VIEWER" } },
    );
    expect(shared.shareWorkflow).toMatchObject({
      userId: dave.userId,
      email: "dave@example.com",
      permission: "VIEWER",
    });

    // The viewer sees it (without its shares), lists it, runs it and follows the run; may not change it.
    const seen = await ok<{ workflow: { access: string; shares: unknown[] } }>(dave, VIEW, { id: workflowId });
    expect(seen.workflow).toMatchObject({ access: "VIEWER", shares: [] });
    const listed = await ok<{ workflows: { edges: { node: { id: string } }[] } }>(
      dave,
      `query { workflows { edges { node { id } } } }`,
    );
    expect(listed.workflows.edges.map((e) => e.node.id)).toContain(workflowId);
    const executionId = await run(dave, workflowId, { question: "shared?" });
    const events = await follow(dave, executionId);
    expect(events.at(-1)!.execution.status).toBe("SUCCEEDED");
    expect(code(await gql(dave, UPDATE, { id: workflowId }))).toBe("FORBIDDEN");
    expect(code(await gql(dave, `mutation($id: ID!) { deleteWorkflow(id: $id) }`, { id: workflowId }))).toBe(
      "FORBIDDEN",
    );
    expect(code(await gql(dave, SHARE, { id: workflowId, input: { role: "viewer", permission: "VIEWER" } }))).toBe(
      "FORBIDDEN",
    );

    // Sharing again with the same person changes the permission; the editor may now change the graph.
    const again = await ok<{ shareWorkflow: { id: string; permission: string } }>(carol, SHARE, {
      id: workflowId,
      input: { userId: dave.userId, permission: "EDITOR" },
    });
    expect(again.shareWorkflow).toMatchObject({ id: shared.shareWorkflow.id, permission: "EDITOR" });
    expect((await ok<{ updateWorkflow: { name: string } }>(dave, UPDATE, { id: workflowId })).updateWorkflow.name).toBe(
      "Renamed",
    );
    expect(code(await gql(dave, `mutation($id: ID!) { deleteWorkflow(id: $id) }`, { id: workflowId }))).toBe(
      "FORBIDDEN",
    );

    // The owner sees every share; the admin reaches it by id without owning it.
    const owner = await ok<{ workflow: { access: string; shares: { email: string; permission: string }[] } }>(
      carol,
      VIEW,
      { id: workflowId },
    );
    expect(owner.workflow.access).toBe("OWNER");
    expect(owner.workflow.shares).toEqual([
      expect.objectContaining({ email: "dave@example.com", permission: "EDITOR" }),
    ]);
    expect((await ok<{ workflow: { access: string } }>(admin, VIEW, { id: workflowId })).workflow.access).toBe("ADMIN");

    // Unsharing ends access at once: NOT_FOUND again, for the workflow and its runs.
    expect(
      (await ok<{ unshareWorkflow: boolean }>(carol, UNSHARE, { id: workflowId, shareId: again.shareWorkflow.id }))
        .unshareWorkflow,
    ).toBe(true);
    expect(code(await gql(dave, VIEW, { id: workflowId }))).toBe("NOT_FOUND");
    expect(code(await gql(dave, `query($id: ID!) { execution(id: $id) { id } }`, { id: executionId }))).toBe(
      "NOT_FOUND",
    );
  });

  it("shares with everyone who has a role", async () => {
    const workflowId = await createWorkflow(carol, "For viewers", llmGraph("{{input.question}}"));
    expect(code(await gql(erin, VIEW, { id: workflowId }))).toBe("NOT_FOUND");
    const share = await ok<{ shareWorkflow: { id: string; principalType: string; role: string } }>(carol, SHARE, {
      id: workflowId,
      input: { role: "viewer", permission: "VIEWER" },
    });
    expect(share.shareWorkflow).toMatchObject({ principalType: "ROLE", role: "viewer" });
    expect((await ok<{ workflow: { access: string } }>(erin, VIEW, { id: workflowId })).workflow.access).toBe("VIEWER");
    // dave has the editor role, not viewer: still nothing.
    expect(code(await gql(dave, VIEW, { id: workflowId }))).toBe("NOT_FOUND");
  });

  it("refuses bad shares with BAD_USER_INPUT and stores none of them", async () => {
    const workflowId = await createWorkflow(carol, "Careful", llmGraph("{{input.question}}"));
    for (const input of [
      { email: "nobody@example.com", permission: "VIEWER" },
      { email: "gone@example.com", permission: "VIEWER" },
      { userId: carol.userId, permission: "EDITOR" },
      { role: "superuser", permission: "VIEWER" },
      { email: "dave@example.com", role: "viewer", permission: "VIEWER" },
      { permission: "VIEWER" },
    ]) {
      expect(code(await gql(carol, SHARE, { id: workflowId, input })), JSON.stringify(input)).toBe("BAD_USER_INPUT");
    }
    const owner = await ok<{ workflow: { shares: unknown[] } }>(carol, VIEW, { id: workflowId });
    expect(owner.workflow.shares).toEqual([]);
    // A stranger cannot even learn that the workflow exists by sharing it.
    expect(code(await gql(bob, SHARE, { id: workflowId, input: { role: "editor", permission: "EDITOR" } }))).toBe(
      "NOT_FOUND",
    );
  });
});
