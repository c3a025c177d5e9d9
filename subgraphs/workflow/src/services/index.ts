import { SharingService, noAudit, staticUserDirectory, type AuditSink, type UserDirectory } from "@ods/kit";
import { WorkflowShare } from "../entities/index.js";
import { ExecutionEngine, type EngineOptions } from "./engine.js";
import { ExecutionService } from "./execution-service.js";
import { WorkflowService } from "./workflow-service.js";

/** The workflow subgraph's service layer, handed to resolvers through the context. */
export interface WorkflowServices {
  workflows: WorkflowService;
  executions: ExecutionService;
  engine: ExecutionEngine;
  /** Sends workflow run and change events to the identity subgraph's audit log. */
  audit: AuditSink;
}

/**
 * Wires the services: the engine listens for cancel requests and fails the executions a dead process left
 * unfinished before this returns (then keeps sweeping for them), so nothing waits on a run that no process owns.
 */
export async function createWorkflowServices(
  options: EngineOptions & {
    cancelWaitMs?: number;
    audit?: AuditSink;
    /** Finds the people workflows are shared with (the identity subgraph); nobody without it. */
    directory?: UserDirectory;
  },
): Promise<WorkflowServices> {
  const engine = new ExecutionEngine(options);
  await engine.init();
  const audit = options.audit ?? noAudit;
  const sharing = new SharingService(WorkflowShare, { directory: options.directory ?? staticUserDirectory(), audit });
  const workflows = new WorkflowService(engine, sharing);
  const executions = new ExecutionService(workflows, engine, options.pubsub, { cancelWaitMs: options.cancelWaitMs });
  return { workflows, executions, engine, audit };
}
