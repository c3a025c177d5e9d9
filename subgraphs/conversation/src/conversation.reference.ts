import type { SubgraphContext } from "@ods/kit";
import type { Conversation } from "./entities/index.js";
import type { ConversationServices } from "./services/index.js";

/** Resolves `Conversation` references from other subgraphs; someone else's conversation resolves to null. */
export async function resolveConversationReference(
  ref: { id: string },
  { em, caller, services }: SubgraphContext<ConversationServices>,
): Promise<Conversation | null> {
  return services.conversations.find(em, caller, ref.id);
}
