import { AppError, ErrorCode } from "@ods/kit";
import { describe, expect, it } from "vitest";
import type { WorkflowEdge, WorkflowNode } from "../entities/index.js";
import { datasetIdsOf, defaultGraph, topologicalOrder, validateGraph } from "./graph.js";

const node = (id: string, type: string, config: Record<string, unknown> = {}): WorkflowNode => ({ id, type, config });
const edge = (source: string, target: string, id?: string): WorkflowEdge => ({ source, target, ...(id && { id }) });

function badInputMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(ErrorCode.BAD_USER_INPUT);
    return (err as AppError).message;
  }
  throw new Error("expected BAD_USER_INPUT");
}

const linear = () => ({
  nodes: [node("in", "input"), node("ask", "llm", { prompt: "{{input.q}}" }), node("out", "output")],
  edges: [edge("in", "ask"), edge("ask", "out")],
});

describe("validateGraph", () => {
  it("accepts the default graph and fills config defaults", () => {
    const graph = validateGraph(defaultGraph());
    expect(graph.nodes.map((n) => n.id)).toEqual(["input", "llm", "output"]);
    const ok = validateGraph(linear());
    expect(ok.nodes[1]!.config).toEqual({ modelId: "builtin-offline", prompt: "{{input.q}}" });
  });

  it("rejects a cycle and names its nodes", () => {
    const g = linear();
    g.nodes.push(node("a", "llm", { prompt: "x" }), node("b", "llm", { prompt: "y" }));
    g.edges.push(edge("ask", "a"), edge("a", "b"), edge("b", "a"));
    expect(badInputMessage(() => validateGraph(g))).toBe('The graph has a cycle: "a" → "b" → "a"');
  });

  it("rejects an unknown node type, naming the node", () => {
    const g = linear();
    g.nodes[1] = node("ask", "telepathy");
    expect(badInputMessage(() => validateGraph(g))).toMatch(/^Node "ask" has unknown type "telepathy"/);
  });

  it("rejects a dangling edge, naming the edge and the missing node", () => {
    const g = linear();
    g.edges.push(edge("ask", "nowhere", "e9"));
    expect(badInputMessage(() => validateGraph(g))).toBe(
      'Edge "e9" (ask → nowhere): target node "nowhere" does not exist',
    );
  });

  it("requires exactly one input node and at least one output node", () => {
    const g = linear();
    g.nodes[0] = node("in", "llm", { prompt: "hi" });
    expect(badInputMessage(() => validateGraph(g))).toBe("The workflow needs an input node");
    const two = linear();
    two.nodes.push(node("in2", "input"));
    expect(badInputMessage(() => validateGraph(two))).toMatch(/exactly one input node, not 2/);
    const noOut = linear();
    noOut.nodes.pop();
    noOut.edges.pop();
    expect(badInputMessage(() => validateGraph(noOut))).toBe("The workflow needs at least one output node");
  });

  it("rejects duplicate node ids", () => {
    const g = linear();
    g.nodes.push(node("ask", "output"));
    expect(badInputMessage(() => validateGraph(g))).toBe('Node "ask" appears twice: node ids must be unique');
  });

  it("checks each config against its node type", () => {
    const g = linear();
    g.nodes[1] = node("ask", "llm", { prompt: "", temperature: 7 });
    const message = badInputMessage(() => validateGraph(g));
    expect(message).toMatch(/^Node "ask" \(llm\) has an invalid config: /);
    expect(message).toMatch(/prompt: must not be empty/);
    expect(message).toMatch(/temperature/);
    const extra = linear();
    extra.nodes[0] = node("in", "input", { colour: "red" });
    expect(badInputMessage(() => validateGraph(extra))).toMatch(/Node "in" \(input\) has an invalid config/);
  });

  it("rejects placeholders that read a node which does not run before", () => {
    const g = linear();
    g.nodes[1] = node("ask", "llm", { prompt: "{{out.value}}" });
    expect(badInputMessage(() => validateGraph(g))).toMatch(/reads node "out", which does not run before it/);
    g.nodes[1] = node("ask", "llm", { prompt: "{{ghost.text}}" });
    expect(badInputMessage(() => validateGraph(g))).toMatch(/names node "ghost", which does not exist/);
  });

  it("rejects a malformed graph with the path of the bad field", () => {
    expect(badInputMessage(() => validateGraph({ nodes: [{ id: 5 }], edges: "x" }))).toMatch(/nodes\.0\.id/);
  });
});

describe("topologicalOrder", () => {
  it("puts every node after the nodes that feed it, keeping listed order for ties", () => {
    const order = topologicalOrder({
      nodes: [node("out", "output"), node("b", "llm"), node("a", "llm"), node("in", "input")],
      edges: [edge("in", "a"), edge("in", "b"), edge("a", "out"), edge("b", "out")],
    });
    expect(order.map((n) => n.id)).toEqual(["in", "b", "a", "out"]);
  });
});

describe("datasetIdsOf", () => {
  it("lists each literal dataset id once, in node order, skipping ids with placeholders", () => {
    const nodes = [
      node("a", "dataset", { datasetId: "d2" }),
      node("b", "llm", { prompt: "d9" }),
      node("c", "dataset", { datasetId: "{{input.id}}" }),
      node("d", "dataset", { datasetId: "d1" }),
      node("e", "dataset", { datasetId: "d2", version: 1 }),
    ];
    expect(datasetIdsOf(nodes)).toEqual(["d2", "d1"]);
  });

  it("fills the dataset node's defaults when the graph is saved", () => {
    const graph = validateGraph({
      nodes: [node("in", "input"), node("rows", "dataset", { datasetId: " d1 " }), node("out", "output")],
      edges: [edge("in", "rows"), edge("rows", "out")],
    });
    expect(graph.nodes[1]!.config).toEqual({ datasetId: "d1", limit: 100 });
  });
});
