import { badInput, parseInput } from "@ods/kit";
import { z } from "zod";
import type { WorkflowEdge, WorkflowNode } from "../entities/index.js";
import { NODE_TYPES, type OutputConfig } from "./node-types.js";
import { INPUT_SCOPE, placeholders, stringsIn } from "./template.js";

const nodeSchema = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z][\w-]*$/, "must start with a letter and hold only letters, digits, _ or -")
    .max(64, "must be at most 64 characters"),
  type: z.string().min(1, "must not be empty").max(64),
  name: z.string().max(200).optional(),
  config: z.record(z.string(), z.unknown()).default({}),
  position: z.object({ x: z.number(), y: z.number() }).optional(),
});

const edgeSchema = z.object({
  id: z.string().min(1).max(64).optional(),
  source: z.string().min(1, "must name a node"),
  target: z.string().min(1, "must name a node"),
});

const graphSchema = z.object({
  nodes: z.array(nodeSchema, "must be a list of nodes").max(200, "at most 200 nodes"),
  edges: z.array(edgeSchema, "must be a list of edges").max(1000, "at most 1000 edges"),
});

export interface WorkflowGraph {
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
}

/** The graph a new workflow gets when none is given: input → llm → output, ready to run. */
export function defaultGraph(): WorkflowGraph {
  return {
    nodes: [
      { id: "input", type: "input", name: "Input", config: { fields: ["question"] }, position: { x: 0, y: 0 } },
      {
        id: "llm",
        type: "llm",
        name: "LLM",
        config: { modelId: "builtin-offline", prompt: "{{input.question}}" },
        position: { x: 250, y: 0 },
      },
      { id: "output", type: "output", name: "Output", config: { name: "answer" }, position: { x: 500, y: 0 } },
    ],
    edges: [
      { id: "input-llm", source: "input", target: "llm" },
      { id: "llm-output", source: "llm", target: "output" },
    ],
  };
}

const edgeLabel = (edge: WorkflowEdge, index: number) =>
  `Edge ${edge.id ? `"${edge.id}"` : `#${index}`} (${edge.source} → ${edge.target})`;

/**
 * Checks a graph as a client sent it and returns it normalised (configs with their defaults filled in).
 *
 * @remarks Checks, each failing with BAD_USER_INPUT naming the offending node or edge: the shape (zod), unique
 * node ids, known node types, each config valid for its type, edges between existing nodes, no cycle, exactly
 * one `input` node, at least one `output` node, and placeholders that read only the inputs or an upstream node.
 */
export function validateGraph(raw: { nodes: unknown; edges: unknown }): WorkflowGraph {
  const parsed = parseInput(graphSchema, raw);
  const nodes: WorkflowNode[] = [];
  const byId = new Map<string, WorkflowNode>();
  parsed.nodes.forEach((node, i) => {
    if (byId.has(node.id)) throw badInput(`Node "${node.id}" appears twice: node ids must be unique`);
    const definition = NODE_TYPES.get(node.type);
    if (!definition) {
      throw badInput(
        `Node "${node.id}" has unknown type "${node.type}" (known: ${[...NODE_TYPES.keys()].join(", ")})`,
        { [`nodes.${i}.type`]: "unknown node type" },
      );
    }
    if (node.id === INPUT_SCOPE && node.type !== "input") {
      throw badInput(`Node "${node.id}": the id "${INPUT_SCOPE}" is reserved for the input node`);
    }
    const config = definition.config.safeParse(node.config);
    if (!config.success) {
      const detail = config.error.issues.map((issue) => `${issue.path.join(".") || "config"}: ${issue.message}`);
      throw badInput(`Node "${node.id}" (${node.type}) has an invalid config: ${detail.join("; ")}`, {
        [`nodes.${i}.config`]: detail.join("; "),
      });
    }
    const normalised: WorkflowNode = { ...node, config: config.data };
    nodes.push(normalised);
    byId.set(node.id, normalised);
  });

  const edges: WorkflowEdge[] = [];
  const seen = new Set<string>();
  parsed.edges.forEach((edge, i) => {
    for (const end of ["source", "target"] as const) {
      if (!byId.has(edge[end])) throw badInput(`${edgeLabel(edge, i)}: ${end} node "${edge[end]}" does not exist`);
    }
    if (edge.source === edge.target) throw badInput(`${edgeLabel(edge, i)}: a node cannot feed itself`);
    const key = `${edge.source}\u0000${edge.target}`;
    if (seen.has(key)) throw badInput(`${edgeLabel(edge, i)} duplicates an earlier edge`);
    seen.add(key);
    edges.push(edge);
  });

  const inputs = nodes.filter((n) => n.type === "input");
  if (inputs.length !== 1) {
    throw badInput(
      inputs.length === 0
        ? "The workflow needs an input node"
        : `The workflow needs exactly one input node, not ${inputs.length} (${inputs.map((n) => `"${n.id}"`).join(", ")})`,
    );
  }
  const outputs = nodes.filter((n) => n.type === "output");
  if (outputs.length === 0) throw badInput("The workflow needs at least one output node");

  const order = topologicalOrder({ nodes, edges });
  const upstream = ancestors({ nodes, edges }, order);
  const outputNames = new Map<string, string>();
  for (const node of nodes) {
    const parents = edges.filter((e) => e.target === node.id).map((e) => e.source);
    if (node.type === "input" && parents.length > 0) {
      throw badInput(`Node "${node.id}": the input node cannot have incoming edges (from "${parents[0]}")`);
    }
    for (const template of templatesOf(node)) {
      for (const p of placeholders(template)) {
        if (p.source === INPUT_SCOPE || upstream.get(node.id)!.has(p.source)) continue;
        throw badInput(
          byId.has(p.source)
            ? `Node "${node.id}": ${p.raw} reads node "${p.source}", which does not run before it (add an edge)`
            : `Node "${node.id}": ${p.raw} names node "${p.source}", which does not exist`,
        );
      }
    }
    if (node.type === "output") {
      const config = node.config as OutputConfig;
      if (config.value === undefined && parents.length !== 1) {
        throw badInput(
          `Node "${node.id}": an output node without a value template needs exactly one upstream node, not ${parents.length}`,
        );
      }
      const name = config.name ?? node.id;
      const other = outputNames.get(name);
      if (other) throw badInput(`Nodes "${other}" and "${node.id}" both write the output "${name}"`);
      outputNames.set(name, node.id);
    }
  }
  return { nodes, edges };
}

function templatesOf(node: WorkflowNode): string[] {
  const config = node.config as Record<string, unknown>;
  const keys =
    node.type === "llm"
      ? ["prompt", "systemPrompt"]
      : node.type === "output"
        ? ["value"]
        : node.type === "dataset"
          ? ["datasetId"]
          : [];
  const templates = keys.map((k) => config[k]).filter((v): v is string => typeof v === "string");
  // A prompt template's variables may read inputs and upstream nodes too.
  const promptTemplate = node.type === "llm" ? (config.promptTemplate as { variables?: unknown } | undefined) : null;
  return [...templates, ...stringsIn(promptTemplate?.variables)];
}

/**
 * The datasets a graph's `dataset` nodes read, each once, in node order (lineage). A `datasetId` with a
 * placeholder names a dataset only when the workflow runs, so it is not counted.
 */
export function datasetIdsOf(nodes: readonly WorkflowNode[]): string[] {
  const ids = nodes
    .filter((n) => n.type === "dataset")
    .map((n) => n.config.datasetId)
    .filter((id): id is string => typeof id === "string" && id !== "" && placeholders(id).length === 0);
  return [...new Set(ids)];
}

/**
 * The nodes in an order where every node comes after all nodes that feed it (Kahn's algorithm; ties keep the
 * order in which the nodes were listed, so runs are reproducible).
 *
 * @throws BAD_USER_INPUT naming the nodes of a cycle when there is one.
 */
export function topologicalOrder(graph: WorkflowGraph): WorkflowNode[] {
  const indegree = new Map(graph.nodes.map((n) => [n.id, 0]));
  const children = new Map<string, string[]>(graph.nodes.map((n) => [n.id, []]));
  for (const edge of graph.edges) {
    indegree.set(edge.target, (indegree.get(edge.target) ?? 0) + 1);
    children.get(edge.source)?.push(edge.target);
  }
  const position = new Map(graph.nodes.map((n, i) => [n.id, i]));
  // Ready node positions, kept sorted, so that the earliest listed ready node always goes next.
  const ready = graph.nodes.flatMap((n, i) => (indegree.get(n.id) === 0 ? [i] : []));
  const order: WorkflowNode[] = [];
  while (ready.length > 0) {
    const node = graph.nodes[ready.shift()!]!;
    order.push(node);
    for (const child of children.get(node.id)!) {
      const left = indegree.get(child)! - 1;
      indegree.set(child, left);
      if (left === 0) {
        const at = position.get(child)!;
        const slot = ready.findIndex((p) => p > at);
        ready.splice(slot === -1 ? ready.length : slot, 0, at);
      }
    }
  }
  if (order.length < graph.nodes.length) {
    const cycle = findCycle(graph, new Set(order.map((n) => n.id)));
    throw badInput(`The graph has a cycle: ${cycle.map((id) => `"${id}"`).join(" → ")}`);
  }
  return order;
}

/** A cycle among the nodes Kahn's algorithm could not place, as a closed path of node ids in edge direction. */
function findCycle(graph: WorkflowGraph, placed: Set<string>): string[] {
  const parent = new Map<string, string>();
  for (const edge of graph.edges) {
    if (!placed.has(edge.source) && !placed.has(edge.target) && !parent.has(edge.target)) {
      parent.set(edge.target, edge.source);
    }
  }
  // Every unplaced node has an unplaced parent, so walking up from any of them must come back to a node seen.
  let id = graph.nodes.find((n) => !placed.has(n.id))!.id;
  const path: string[] = [];
  const index = new Map<string, number>();
  while (!index.has(id)) {
    index.set(id, path.length);
    path.push(id);
    id = parent.get(id)!;
  }
  const loop = path.slice(index.get(id)).reverse();
  // Start at the node listed first, so the same graph always gives the same message.
  const listed = graph.nodes.map((n) => n.id);
  const first = loop.reduce((best, n, i) => (listed.indexOf(n) < listed.indexOf(loop[best]!) ? i : best), 0);
  const rotated = [...loop.slice(first), ...loop.slice(0, first)];
  return [...rotated, rotated[0]!];
}

/** For each node, the ids of every node that runs before it and reaches it through edges. */
function ancestors(graph: WorkflowGraph, order: WorkflowNode[]): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const node of order) {
    const set = new Set<string>();
    for (const edge of graph.edges) {
      if (edge.target !== node.id) continue;
      set.add(edge.source);
      for (const a of result.get(edge.source)!) set.add(a);
    }
    result.set(node.id, set);
  }
  return result;
}
