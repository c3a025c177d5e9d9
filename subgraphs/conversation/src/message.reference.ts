import type { SubgraphContext } from "@ods/kit";
import type { Message } from "./entities/index.js";
import { findOwnedMessage } from "./services/generation-service.js";
import type { ConversationServices } from "./services/index.js";

/** Resolves `Message` references from other subgraphs; a message in someone else's conversation is null. */
export async function resolveMessageReference(
  ref: { id: string },
  { em, caller }: SubgraphContext<ConversationServices>,
): Promise<Message | null> {
  return findOwnedMessage(em, caller, ref.id);
}
