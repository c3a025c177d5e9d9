import type { SchemaOptions } from "@ods/kit";
import { ExecutionEventResolver } from "./resolvers/execution-event.resolver.js";
import { ExecutionResolver } from "./resolvers/execution.resolver.js";
import { NodeTypeResolver } from "./resolvers/node-type.resolver.js";
import { WorkflowResolver } from "./resolvers/workflow.resolver.js";
import type { WorkflowServices } from "./services/index.js";
import { resolveExecutionReference, resolveWorkflowReference } from "./workflow.reference.js";

export { entities } from "./entities/index.js";

/** Everything the workflow subgraph's schema is built from (also read by `npm run compose`). */
export const schemaOptions: SchemaOptions<WorkflowServices> = {
  resolvers: [WorkflowResolver, ExecutionResolver, ExecutionEventResolver, NodeTypeResolver],
  references: { Workflow: resolveWorkflowReference, Execution: resolveExecutionReference },
};
