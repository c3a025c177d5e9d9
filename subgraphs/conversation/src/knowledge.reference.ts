import { whereThrough, type SubgraphContext } from "@ods/kit";
import { KnowledgeChunk, type KnowledgeBase, type KnowledgeDocument } from "./entities/index.js";
import type { ConversationServices } from "./services/index.js";

type Ctx = SubgraphContext<ConversationServices>;

/** `KnowledgeBase` references from other subgraphs; one the caller may not see resolves to null. */
export async function resolveKnowledgeBaseReference(
  ref: { id: string },
  { em, caller, services }: Ctx,
): Promise<KnowledgeBase | null> {
  return services.knowledge.find(em, caller, ref.id);
}

/** `Document` references; one whose knowledge base the caller may not see resolves to null. */
export async function resolveDocumentReference(
  ref: { id: string },
  { em, caller, services }: Ctx,
): Promise<KnowledgeDocument | null> {
  return services.knowledge.findDocument(em, caller, ref.id);
}

/** `KnowledgeChunk` references; one whose knowledge base the caller may not see resolves to null. */
export async function resolveKnowledgeChunkReference(ref: { id: string }, { em, caller, services }: Ctx) {
  if (!caller.userId) return null;
  const scope = (await services.knowledge.reachableWhere(em, caller)) as object;
  return em.findOne(KnowledgeChunk, whereThrough({ id: ref.id }, "document.knowledgeBase", scope));
}

/** `Dataset` is the dataset subgraph's; here it only carries the lineage field, so any id resolves. */
export function resolveDatasetReference(ref: { id: string }): { id: string } {
  return { id: ref.id };
}
