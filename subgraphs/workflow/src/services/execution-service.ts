import type { EntityManager, FilterQuery } from "@mikro-orm/core";
import {
  ResourceAccess,
  whereThrough,
  badInput,
  followStream,
  notFound,
  pageWindow,
  requireUser,
  toPage,
  type Caller,
  type Page,
  type PubSub,
} from "@ods/kit";
import { Execution, ExecutionStatus, FINISHED_STATUSES, NodeRun, Workflow } from "../entities/index.js";
import type { ExecutionEngine } from "./engine.js";
import { ExecutionEventType, executionStream, type ExecutionEventData, type ExecutionEventPayload } from "./events.js";
import type { WorkflowService } from "./workflow-service.js";

const MAX_INPUT_BYTES = 1_000_000;

/** Starting, stopping, listing and following executions; ownership follows the workflow's owner. */
export class ExecutionService {
  constructor(
    private readonly workflows: WorkflowService,
    private readonly engine: ExecutionEngine,
    private readonly pubsub: PubSub,
    private readonly options: { cancelWaitMs?: number } = {},
  ) {}

  /** Stores a PENDING execution of the workflow's current graph, starts it in the background and returns it. */
  async run(em: EntityManager, caller: Caller, workflowId: string, inputs: unknown): Promise<Execution> {
    const workflow = await this.workflows.get(em, caller, workflowId);
    const data = inputs ?? {};
    if (typeof data !== "object" || Array.isArray(data)) {
      throw badInput("inputs must be a JSON object of input names to values", { inputs: "must be an object" });
    }
    if (JSON.stringify(data).length > MAX_INPUT_BYTES) throw badInput("inputs must be at most 1 MB of JSON");
    // The execution row and the workflow's pointer to it are written together (no half-recorded run); the
    // pointer is a native update so that running a workflow does not count as changing it (updatedAt).
    const execution = await em.transactional(async (tx) => {
      const created = tx.create(Execution, {
        workflow: tx.getReference(Workflow, workflow.id),
        workflowVersion: workflow.version,
        inputs: data as Record<string, unknown>,
        triggeredBy: caller.userId!,
      });
      await tx.flush();
      await tx.nativeUpdate(Workflow, { id: workflow.id }, { lastExecutionId: created.id });
      return created;
    });
    // A copy of the graph as it is now: an edit during the run does not change what runs.
    this.engine.start(execution.id, structuredClone({ nodes: workflow.nodes, edges: workflow.edges }), caller);
    return execution;
  }

  /** Execution `id` of a workflow the caller may see; NOT_FOUND otherwise. */
  async get(em: EntityManager, caller: Caller, id: string, options: { refresh?: boolean } = {}): Promise<Execution> {
    requireUser(caller);
    const execution = await em.findOne(
      Execution,
      whereThrough({ id }, "workflow", (await this.workflows.reachableWhere(em, caller)) as object),
      { refresh: options.refresh },
    );
    if (!execution) throw notFound("Execution", id);
    return execution;
  }

  async list(
    em: EntityManager,
    caller: Caller,
    args: { workflowId?: string | null; status?: ExecutionStatus | null; first?: number | null; after?: string | null },
  ): Promise<Page<Execution>> {
    requireUser(caller);
    const { offset, limit } = pageWindow(args);
    const where: FilterQuery<Execution> = { workflow: await this.workflows.visibleWhere(em, caller) };
    if (args.workflowId) {
      await this.workflows.get(em, caller, args.workflowId);
      where.workflow = args.workflowId;
    }
    if (args.status) where.status = args.status;
    const [rows, total] = await em.findAndCount(Execution, where, {
      orderBy: { createdAt: "desc", id: "asc" },
      offset,
      limit,
    });
    return toPage(rows, offset, total);
  }

  /**
   * Stops a PENDING or RUNNING execution; it ends CANCELLED. A finished execution is returned unchanged.
   * When another replica runs it, waits (up to a few seconds) for that replica to record the end.
   */
  async cancel(em: EntityManager, caller: Caller, id: string): Promise<Execution> {
    const execution = await this.get(em, caller, id);
    // Whoever started a run may stop it; anyone else needs to be able to change the workflow.
    if (execution.triggeredBy !== caller.userId) {
      await this.workflows.get(em, caller, execution.workflow.id, ResourceAccess.EDITOR);
    }
    if (FINISHED_STATUSES.includes(execution.status)) return execution;
    const local = await this.engine.cancel(id);
    const deadline = Date.now() + (local ? 0 : (this.options.cancelWaitMs ?? 5_000));
    for (;;) {
      const current = await this.get(em, caller, id, { refresh: true });
      if (FINISHED_STATUSES.includes(current.status) || Date.now() >= deadline) return current;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Node runs of executions, in run order, for many executions in one query (DataLoader batch). */
  async nodeRunsOf(em: EntityManager, executionIds: readonly string[]): Promise<NodeRun[][]> {
    const rows = await em.find(
      NodeRun,
      { execution: { $in: [...executionIds] } },
      { orderBy: { position: "asc", id: "asc" } },
    );
    return executionIds.map((id) => rows.filter((r) => r.execution.id === id));
  }

  /** Executions by id (DataLoader batch for `Workflow.lastExecution`). */
  async byIds(em: EntityManager, ids: readonly string[]): Promise<(Execution | null)[]> {
    const rows = await em.find(Execution, { id: { $in: [...ids] } });
    return ids.map((id) => rows.find((r) => r.id === id) ?? null);
  }

  /** Workflows by id (DataLoader batch for `Execution.workflow`). */
  async workflowsByIds(em: EntityManager, ids: readonly string[]): Promise<(Workflow | null)[]> {
    const rows = await em.find(Workflow, { id: { $in: [...ids] } });
    return ids.map((id) => rows.find((r) => r.id === id) ?? null);
  }

  /**
   * The events of an execution after `afterSeq`, live until EXECUTION_FINISHED, for its owner only.
   *
   * @remarks The ownership check happens here, before the stream opens, so a stranger's subscription fails
   * with NOT_FOUND at once. When the log of a finished execution has expired, a client that has not seen
   * the end still gets a final EXECUTION_FINISHED built from the stored row, with the row's last `seq`.
   */
  async follow(
    em: EntityManager,
    caller: Caller,
    executionId: string,
    afterSeq = 0,
  ): Promise<AsyncIterableIterator<ExecutionEventPayload>> {
    if (!Number.isInteger(afterSeq) || afterSeq < 0) throw badInput("afterSeq must be 0 or more");
    const execution = await this.get(em, caller, executionId);
    const controller = new AbortController();
    const generator = this.events(execution, afterSeq, controller.signal, em);
    // graphql-ws ends a subscription with return(); abort first, so a follower waiting for the next event
    // wakes up and finishes instead of holding return() back until something is appended.
    const iterator: AsyncIterableIterator<ExecutionEventPayload> = {
      next: () => generator.next(),
      return: async (value?: unknown) => {
        controller.abort();
        return generator.return(value as ExecutionEventPayload);
      },
      throw: (err?: unknown) => generator.throw(err),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  private async *events(
    execution: Execution,
    afterSeq: number,
    signal: AbortSignal,
    em: EntityManager,
  ): AsyncGenerator<ExecutionEventPayload> {
    const stream = executionStream(execution.id);
    if (FINISHED_STATUSES.includes(execution.status)) {
      const retained = await this.pubsub.readAfter(stream, afterSeq);
      if (retained.length === 0) {
        if (afterSeq < execution.lastSeq) yield finishedEvent(execution);
        return;
      }
    }
    for await (const entry of followStream(this.pubsub, stream, {
      afterSeq,
      signal,
      isTerminal: (event) => (event as ExecutionEventData).type === ExecutionEventType.EXECUTION_FINISHED,
      // The log went quiet: if the run has ended without its final event reaching the log (the append failed,
      // or the process died after writing the row), end the stream from the stored row instead of waiting.
      onQuiet: async () => {
        const current = await em.fork().findOne(Execution, { id: execution.id });
        if (!current || !FINISHED_STATUSES.includes(current.status)) return undefined;
        const { seq, ...event } = finishedEvent(current);
        return { seq, event };
      },
    })) {
      yield { ...(entry.event as ExecutionEventData), seq: entry.seq };
    }
  }
}

/** The EXECUTION_FINISHED event rebuilt from a finished execution's row, with the row's last `seq`. */
function finishedEvent(execution: Execution): ExecutionEventPayload {
  return {
    seq: execution.lastSeq,
    type: ExecutionEventType.EXECUTION_FINISHED,
    executionId: execution.id,
    status: execution.status,
    output: execution.outputs ?? null,
    error: execution.error ?? null,
  };
}
