import { Execution } from "./execution.js";
import { NodeRun } from "./node-run.js";
import { WorkflowShare } from "./resource-share.js";
import { Workflow } from "./workflow.js";

export { Execution, NodeRun, WorkflowShare, Workflow };
export { ACTIVE_STATUSES, ExecutionStatus, FINISHED_STATUSES } from "./execution.js";
export { Dataset } from "./dataset.js";
export { NodeRunStatus } from "./node-run.js";
export { User } from "./user.js";
export type { WorkflowEdge, WorkflowNode } from "./workflow.js";
export const entities = [Workflow, Execution, NodeRun, WorkflowShare];
