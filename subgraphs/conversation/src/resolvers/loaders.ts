import type { ResourceAccess, SubgraphContext } from "@ods/kit";
import DataLoader from "dataloader";
import type { KnowledgeBase, KnowledgeDocument, Message } from "../entities/index.js";
import type { ConversationUsageTotals } from "../services/conversation-service.js";
import type { ConversationServices } from "../services/index.js";

export interface Loaders {
  messages: DataLoader<string, Message[]>;
  alternatives: DataLoader<Message, Message[], string>;
  usage: DataLoader<string, ConversationUsageTotals>;
  /** What the caller may do with each knowledge base. */
  knowledgeBaseAccess: DataLoader<KnowledgeBase, ResourceAccess, string>;
  /** Documents the caller may see, by id (null where not): the documents citations point at. */
  documents: DataLoader<string, KnowledgeDocument | null>;
}

// One set per request: the context object lives exactly as long as the request, so it keys the cache.
const perRequest = new WeakMap<object, Loaders>();

/** The request's DataLoaders, so list fields load in one query per level instead of one per row. */
export function loaders(ctx: SubgraphContext<ConversationServices>): Loaders {
  let found = perRequest.get(ctx);
  if (!found) {
    const { em, caller, services } = ctx;
    found = {
      messages: new DataLoader((ids) => services.conversations.messagesOf(em, ids)),
      alternatives: new DataLoader((messages) => services.conversations.alternativesOf(em, messages), {
        cacheKeyFn: (message) => message.id,
      }),
      usage: new DataLoader((ids) => services.conversations.usageOf(em, ids)),
      knowledgeBaseAccess: new DataLoader((kbs) => services.knowledge.accessOf(em, caller, kbs), {
        cacheKeyFn: (kb) => kb.id,
      }),
      documents: new DataLoader((ids) => services.knowledge.findDocuments(em, caller, ids)),
    };
    perRequest.set(ctx, found);
  }
  return found;
}
