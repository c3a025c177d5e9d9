import type { SchemaOptions } from "@ods/kit";
import { DatasetLineageResolver } from "./resolvers/dataset-lineage.resolver.js";
import { ExecutionEventResolver } from "./resolvers/execution-event.resolver.js";
import { ExecutionResolver } from "./resolvers/execution.resolver.js";
import { NodeTypeResolver } from "./resolvers/node-type.resolver.js";
import { WorkflowResolver } from "./resolvers/workflow.resolver.js";
import type { WorkflowServices } from "./services/index.js";
import { resolveDatasetReference, resolveExecutionReference, resolveWorkflowReference } from "./workflow.reference.js";

export { entities } from "./entities/index.js";

/** Everything the workflow subgraph's schema is built from (also read by `npm run compose`). */
export const schemaOptions: SchemaOptions<WorkflowServices> = {
  resolvers: [WorkflowResolver, ExecutionResolver, ExecutionEventResolver, NodeTypeResolver, DatasetLineageResolver],
  references: {
    Workflow: resolveWorkflowReference,
    Execution: resolveExecutionReference,
    Dataset: resolveDatasetReference,
  },
};
