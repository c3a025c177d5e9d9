import type { ResourceAccess, SubgraphContext } from "@ods/kit";
import DataLoader from "dataloader";
import type { Execution, NodeRun, Workflow } from "../entities/index.js";
import type { WorkflowServices } from "../services/index.js";

export interface Loaders {
  nodeRuns: DataLoader<string, NodeRun[]>;
  execution: DataLoader<string, Execution | null>;
  workflow: DataLoader<string, Workflow | null>;
  /** Dataset id → the caller's workflows that read it. */
  datasetWorkflows: DataLoader<string, Workflow[]>;
  /** What the caller may do with each workflow. */
  access: DataLoader<Workflow, ResourceAccess>;
}

// One set per request: the context object lives exactly as long as the request, so it keys the cache.
const perRequest = new WeakMap<object, Loaders>();

/** The request's DataLoaders, so list fields load in one query per level instead of one per row. */
export function loaders(ctx: SubgraphContext<WorkflowServices>): Loaders {
  let found = perRequest.get(ctx);
  if (!found) {
    const { em, caller, services } = ctx;
    found = {
      nodeRuns: new DataLoader((ids) => services.executions.nodeRunsOf(em, ids)),
      execution: new DataLoader((ids) => services.executions.byIds(em, ids)),
      workflow: new DataLoader((ids) => services.executions.workflowsByIds(em, ids)),
      datasetWorkflows: new DataLoader((ids) => services.workflows.readingDatasets(em, caller, ids)),
      access: new DataLoader((workflows) => services.workflows.accessOf(em, caller, workflows), {
        cacheKeyFn: (w) => w.id,
      }),
    };
    perRequest.set(ctx, found);
  }
  return found;
}
