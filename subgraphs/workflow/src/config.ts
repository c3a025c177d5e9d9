import { auditEnv, loadConfig, port } from "@ods/kit";
import { z } from "zod";

export const workflowEnv = {
  ODS_WORKFLOW_PORT: port(4005),
  ...auditEnv,
  /** Base URL of the model subgraph, whose OpenAI-compatible `/v1` API the LLM node calls. */
  ODS_MODEL_URL: z.url().default("http://127.0.0.1:4003"),
  /** Base URL of the dataset subgraph, whose `GET /api/datasets/<id>/rows` the dataset node reads. */
  ODS_DATASET_URL: z.url().default("http://127.0.0.1:4002"),
  /** How long an execution's event log is kept after the run ends, in seconds (default 10 minutes). */
  ODS_EVENT_RETENTION_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  /** An LLM node fails when its model sends nothing for this long, in ms (default 2 minutes). */
  ODS_MODEL_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
};

export const loadWorkflowConfig = (env?: Record<string, string | undefined>) => loadConfig(workflowEnv, env);
export type WorkflowConfig = ReturnType<typeof loadWorkflowConfig>;
