import { whereThrough, type SubgraphContext } from "@ods/kit";
import { Execution, Workflow } from "./entities/index.js";
import type { WorkflowServices } from "./services/index.js";

/** Resolves `Workflow` references from other subgraphs; one the caller may not see resolves to null. */
export async function resolveWorkflowReference(
  ref: { id: string },
  { em, caller, services }: SubgraphContext<WorkflowServices>,
): Promise<Workflow | null> {
  if (!caller.userId) return null;
  return em.findOne(Workflow, {
    id: ref.id,
    ...((await services.workflows.reachableWhere(em, caller)) as object as object),
  });
}

/** `Dataset` is the dataset subgraph's; here it only carries the lineage field, so any id resolves. */
export function resolveDatasetReference(ref: { id: string }): { id: string } {
  return { id: ref.id };
}

/** Resolves `Execution` references from other subgraphs; one the caller may not see resolves to null. */
export async function resolveExecutionReference(
  ref: { id: string },
  { em, caller, services }: SubgraphContext<WorkflowServices>,
): Promise<Execution | null> {
  if (!caller.userId) return null;
  return em.findOne(
    Execution,
    whereThrough({ id: ref.id }, "workflow", (await services.workflows.reachableWhere(em, caller)) as object),
  );
}
