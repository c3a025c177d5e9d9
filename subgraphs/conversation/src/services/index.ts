import type { ConversationService } from "./conversation-service.js";
import type { GenerationService } from "./generation-service.js";

/** The conversation subgraph's service layer, handed to resolvers through the context. */
export interface ConversationServices {
  conversations: ConversationService;
  generation: GenerationService;
}
