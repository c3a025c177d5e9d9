import type { ConversationService } from "./conversation-service.js";
import type { GenerationService } from "./generation-service.js";
import type { MikroORM } from "@mikro-orm/core";
import type { PubSub } from "@ods/kit";
import type { IngestionService } from "../knowledge/ingestion-service.js";
import type { KnowledgeService } from "../knowledge/knowledge-service.js";
import type { RetrievalService } from "../knowledge/retrieval-service.js";

/** The conversation subgraph's service layer, handed to resolvers through the context. */
export interface ConversationServices {
  conversations: ConversationService;
  generation: GenerationService;
  knowledge: KnowledgeService;
  ingestion: IngestionService;
  retrieval: RetrievalService;
  /** What `documentStatus` subscriptions read from. */
  knowledgeStreams: { orm: MikroORM; pubsub: PubSub };
}
