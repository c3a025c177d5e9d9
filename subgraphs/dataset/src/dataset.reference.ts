import { requireUser, type SubgraphContext } from "@ods/kit";
import type { Dataset } from "./entities/index.js";
import type { DatasetServices } from "./services/index.js";

/** Resolves `Dataset` references from other subgraphs (`KnowledgeBase.dataset`); deleted datasets resolve to null. */
export async function resolveDatasetReference(
  ref: { id: string },
  { em, caller, services }: SubgraphContext<DatasetServices>,
): Promise<Dataset | null> {
  requireUser(caller);
  return services.datasets.find(em, ref.id);
}
