import type { SubgraphContext } from "@ods/kit";
import { Execution, Workflow } from "./entities/index.js";
import type { WorkflowServices } from "./services/index.js";

/** Resolves `Workflow` references from other subgraphs; someone else's workflow resolves to null. */
export async function resolveWorkflowReference(
  ref: { id: string },
  { em, caller }: SubgraphContext<WorkflowServices>,
): Promise<Workflow | null> {
  if (!caller.userId) return null;
  return em.findOne(Workflow, { id: ref.id, ownerId: caller.userId });
}

/** `Dataset` is the dataset subgraph's; here it only carries the lineage field, so any id resolves. */
export function resolveDatasetReference(ref: { id: string }): { id: string } {
  return { id: ref.id };
}

/** Resolves `Execution` references from other subgraphs; someone else's execution resolves to null. */
export async function resolveExecutionReference(
  ref: { id: string },
  { em, caller }: SubgraphContext<WorkflowServices>,
): Promise<Execution | null> {
  if (!caller.userId) return null;
  return em.findOne(Execution, { id: ref.id, workflow: { ownerId: caller.userId } });
}
