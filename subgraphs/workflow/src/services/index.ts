import type { MikroORM } from "@mikro-orm/core";
import type { Logger, PubSub } from "@ods/kit";
import { ExecutionEngine, type ModelClientFactory } from "./engine.js";
import { ExecutionService } from "./execution-service.js";
import { WorkflowService } from "./workflow-service.js";

/** The workflow subgraph's service layer, handed to resolvers through the context. */
export interface WorkflowServices {
  workflows: WorkflowService;
  executions: ExecutionService;
  engine: ExecutionEngine;
}

/**
 * Wires the services: the engine listens for cancel requests and fails the executions a previous process left
 * unfinished before this returns, so nothing waits on a run that no process owns.
 */
export async function createWorkflowServices(options: {
  orm: MikroORM;
  pubsub: PubSub;
  modelClient: ModelClientFactory;
  logger: Logger;
  retentionSeconds: number;
}): Promise<WorkflowServices> {
  const engine = new ExecutionEngine(options);
  await engine.init();
  await engine.recoverInterrupted();
  const workflows = new WorkflowService(engine);
  const executions = new ExecutionService(workflows, engine, options.pubsub);
  return { workflows, executions, engine };
}
