import type { SubgraphContext } from "@ods/kit";
import { KnowledgeChunk, type KnowledgeBase, type KnowledgeDocument } from "./entities/index.js";
import type { ConversationServices } from "./services/index.js";

type Ctx = SubgraphContext<ConversationServices>;

/** `KnowledgeBase` references from other subgraphs; someone else's resolves to null. */
export async function resolveKnowledgeBaseReference(
  ref: { id: string },
  { em, caller, services }: Ctx,
): Promise<KnowledgeBase | null> {
  return services.knowledge.find(em, caller, ref.id);
}

/** `Document` references; someone else's resolves to null. */
export async function resolveDocumentReference(
  ref: { id: string },
  { em, caller, services }: Ctx,
): Promise<KnowledgeDocument | null> {
  return services.knowledge.findDocument(em, caller, ref.id);
}

/** `KnowledgeChunk` references; someone else's resolves to null. */
export async function resolveKnowledgeChunkReference(ref: { id: string }, { em, caller }: Ctx) {
  if (!caller.userId) return null;
  return em.findOne(KnowledgeChunk, { id: ref.id, document: { knowledgeBase: { ownerId: caller.userId } } });
}

/** `Dataset` is the dataset subgraph's; here it only carries the lineage field, so any id resolves. */
export function resolveDatasetReference(ref: { id: string }): { id: string } {
  return { id: ref.id };
}
