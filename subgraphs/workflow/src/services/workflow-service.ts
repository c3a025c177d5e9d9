import { sql, type EntityManager, type FilterQuery } from "@mikro-orm/core";
import {
  ResourceAccess,
  pageWindow,
  parseInput,
  requireUser,
  toPage,
  type Caller,
  type Page,
  type SharingService,
  type shareInput,
} from "@ods/kit";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { Execution, ExecutionStatus, NodeRun, WorkflowShare, Workflow } from "../entities/index.js";
import type { ExecutionEngine } from "./engine.js";
import { datasetIdsOf, defaultGraph, validateGraph } from "./graph.js";

const name = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");
const description = z.string().max(10_000, "must be at most 10 000 characters");

export const createWorkflowInput = z.object({
  name,
  description: description.nullish(),
  nodes: z.unknown().optional(),
  edges: z.unknown().optional(),
});

export const updateWorkflowInput = z.object({
  name: name.nullish(),
  description: description.nullish(),
  nodes: z.unknown().optional(),
  edges: z.unknown().optional(),
});

/** The `resourceType` of workflow shares. */
const WORKFLOW = "Workflow";

/**
 * Workflows and their graphs. Each user sees their own and those shared with them (viewers may open and run a
 * workflow, editors also change it; owners and admins delete and share it). A workflow someone may not see is
 * NOT_FOUND to them, never FORBIDDEN.
 */
export class WorkflowService {
  constructor(
    private readonly engine: ExecutionEngine,
    readonly sharing: SharingService<WorkflowShare>,
  ) {}

  /** A filter for the workflows the caller may see: theirs and those shared with them. */
  visibleWhere(em: EntityManager, caller: Caller): Promise<FilterQuery<Workflow>> {
    return this.sharing.visibleWhere(em, caller, WORKFLOW) as Promise<FilterQuery<Workflow>>;
  }

  async list(
    em: EntityManager,
    caller: Caller,
    args: { first?: number | null; after?: string | null; search?: string | null },
  ): Promise<Page<Workflow>> {
    requireUser(caller);
    const { offset, limit } = pageWindow(args);
    const where: FilterQuery<Workflow> = await this.visibleWhere(em, caller);
    const search = args.search?.trim();
    // lower() on both sides: LIKE is case-sensitive on PostgreSQL but not on SQLite or MariaDB.
    if (search) Object.assign(where, { [sql.lower("name")]: { $like: `%${search.toLowerCase()}%` } });
    const [rows, total] = await em.findAndCount(Workflow, where, {
      orderBy: { updatedAt: "desc", id: "asc" },
      offset,
      limit,
    });
    return toPage(rows, offset, total);
  }

  /** A filter for looking workflows up by id: what the caller may see, and for admins everything. */
  reachableWhere(em: EntityManager, caller: Caller): Promise<FilterQuery<Workflow>> {
    return this.sharing.reachableWhere(em, caller, WORKFLOW) as Promise<FilterQuery<Workflow>>;
  }

  /**
   * Workflow `id` when the caller may do what `needed` allows with it: NOT_FOUND when they may not see it,
   * FORBIDDEN when they may see it but not this.
   */
  async get(em: EntityManager, caller: Caller, id: string, needed = ResourceAccess.VIEWER): Promise<Workflow> {
    requireUser(caller);
    const workflow = await em.findOne(Workflow, { id });
    await this.sharing.require(em, caller, WORKFLOW, workflow, needed, id);
    return workflow!;
  }

  /** What the caller may do with each workflow (DataLoader batch for `Workflow.access`). */
  accessOf(em: EntityManager, caller: Caller, workflows: readonly Workflow[]): Promise<ResourceAccess[]> {
    return this.sharing.accessOfVisible(em, caller, WORKFLOW, workflows);
  }

  /** The shares of a workflow: owners and admins see them all, anyone else none. */
  shares(em: EntityManager, caller: Caller, workflow: Workflow): Promise<WorkflowShare[]> {
    return this.sharing.sharesFor(em, caller, WORKFLOW, workflow);
  }

  /** Shares a workflow with a user or a role as viewer or editor (owners and admins). */
  async share(
    em: EntityManager,
    caller: Caller,
    id: string,
    input: z.input<typeof shareInput>,
  ): Promise<WorkflowShare> {
    const workflow = await this.get(em, caller, id);
    return this.sharing.grant(em, caller, WORKFLOW, workflow, input);
  }

  /** Ends one share of a workflow (owners and admins); false when there was no such share. */
  async unshare(em: EntityManager, caller: Caller, id: string, shareId: string): Promise<boolean> {
    const workflow = await this.get(em, caller, id);
    return this.sharing.revoke(em, caller, WORKFLOW, workflow, shareId);
  }

  /** Creates a workflow; without `nodes` and `edges` it gets the ready-made input → llm → output graph. */
  async create(em: EntityManager, caller: Caller, input: z.input<typeof createWorkflowInput>): Promise<Workflow> {
    requireUser(caller);
    const data = parseInput(createWorkflowInput, input);
    const fallback = defaultGraph();
    const graph = validateGraph({
      nodes: data.nodes ?? (data.edges === undefined || data.edges === null ? fallback.nodes : []),
      edges: data.edges ?? (data.nodes === undefined || data.nodes === null ? fallback.edges : []),
    });
    const workflow = em.create(Workflow, {
      name: data.name,
      description: data.description ?? "",
      ownerId: caller.userId,
      nodes: graph.nodes,
      edges: graph.edges,
    });
    await em.flush();
    return workflow;
  }

  /** Changes name, description or graph; a changed graph raises `version` by one. */
  async update(
    em: EntityManager,
    caller: Caller,
    id: string,
    input: z.input<typeof updateWorkflowInput>,
  ): Promise<Workflow> {
    const data = parseInput(updateWorkflowInput, input);
    const workflow = await this.get(em, caller, id, ResourceAccess.EDITOR);
    if (data.name !== undefined && data.name !== null) workflow.name = data.name;
    if (data.description !== undefined && data.description !== null) workflow.description = data.description;
    if ((data.nodes ?? null) !== null || (data.edges ?? null) !== null) {
      const graph = validateGraph({ nodes: data.nodes ?? workflow.nodes, edges: data.edges ?? workflow.edges });
      // A structural comparison: PostgreSQL's jsonb does not keep key order, so JSON text would differ spuriously.
      if (!isDeepStrictEqual(graph, { nodes: workflow.nodes, edges: workflow.edges })) {
        workflow.nodes = graph.nodes;
        workflow.edges = graph.edges;
        workflow.version += 1;
      }
    }
    await em.flush();
    return workflow;
  }

  /**
   * Lineage: for each dataset id, the caller's workflows whose current graph has a `dataset` node reading it
   * (by a literal id), by name.
   *
   * @remarks The graph is a JSON column, which the three databases query differently, so the caller's
   * workflows are read once (for every dataset asked about in the request, through a DataLoader) and matched
   * here.
   */
  async readingDatasets(em: EntityManager, caller: Caller, datasetIds: readonly string[]): Promise<Workflow[][]> {
    if (!caller.userId) return datasetIds.map(() => []);
    const workflows = await em.find(Workflow, await this.visibleWhere(em, caller), {
      orderBy: { name: "asc", id: "asc" },
    });
    const byDataset = new Map<string, Workflow[]>();
    for (const workflow of workflows) {
      for (const id of datasetIdsOf(workflow.nodes)) {
        byDataset.set(id, [...(byDataset.get(id) ?? []), workflow]);
      }
    }
    return datasetIds.map((id) => byDataset.get(id) ?? []);
  }

  /** Deletes a workflow with its executions and node runs, cancelling any that still run. */
  async delete(em: EntityManager, caller: Caller, id: string): Promise<boolean> {
    const workflow = await this.get(em, caller, id, ResourceAccess.OWNER);
    const active = await em.find(
      Execution,
      { workflow, status: { $in: [ExecutionStatus.PENDING, ExecutionStatus.RUNNING] } },
      { fields: ["id"] },
    );
    for (const execution of active) await this.engine.cancel(execution.id);
    await em.transactional(async (tx) => {
      const executions = await tx.find(Execution, { workflow: id }, { fields: ["id"] });
      const ids = executions.map((e) => e.id);
      if (ids.length > 0) await tx.nativeDelete(NodeRun, { execution: { $in: ids } });
      await tx.nativeDelete(Execution, { workflow: id });
      await tx.nativeDelete(Workflow, { id });
      await this.sharing.removeAll(tx, WORKFLOW, id);
    });
    em.clear();
    return true;
  }
}
