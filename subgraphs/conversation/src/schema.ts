import type { SchemaOptions } from "@ods/kit";
import { resolveConversationReference } from "./conversation.reference.js";
import { Model, User } from "./federation-stubs.js";
import { resolveMessageReference } from "./message.reference.js";
import { ConversationResolver } from "./resolvers/conversation.resolver.js";
import { MessageResolver } from "./resolvers/message.resolver.js";
import { KnowledgeBaseResolver } from "./resolvers/knowledge-base.resolver.js";
import {
  CitationResolver,
  Dataset,
  DatasetLineageResolver,
  KnowledgeDocumentResolver,
} from "./resolvers/knowledge-document.resolver.js";
import {
  resolveDatasetReference,
  resolveDocumentReference,
  resolveKnowledgeBaseReference,
  resolveKnowledgeChunkReference,
} from "./knowledge.reference.js";
import type { ConversationServices } from "./services/index.js";

export { entities } from "./entities/index.js";

/** Everything the conversation subgraph's schema is built from (also read by `npm run compose`). */
export const schemaOptions: SchemaOptions<ConversationServices> = {
  resolvers: [
    ConversationResolver,
    MessageResolver,
    KnowledgeBaseResolver,
    KnowledgeDocumentResolver,
    DatasetLineageResolver,
    CitationResolver,
  ],
  orphanedTypes: [Model, User, Dataset],
  references: {
    Conversation: resolveConversationReference,
    Message: resolveMessageReference,
    KnowledgeBase: resolveKnowledgeBaseReference,
    Document: resolveDocumentReference,
    KnowledgeChunk: resolveKnowledgeChunkReference,
    Dataset: resolveDatasetReference,
  },
};
