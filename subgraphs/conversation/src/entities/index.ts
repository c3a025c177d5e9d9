import { Conversation } from "./conversation.js";
import { Message } from "./message.js";
import { KnowledgeBase } from "./knowledge-base.js";
import { KnowledgeChunk } from "./knowledge-chunk.js";
import { KnowledgeDocument } from "./knowledge-document.js";
import { ConversationShare } from "./resource-share.js";

export { Conversation, Message, KnowledgeBase, KnowledgeChunk, KnowledgeDocument, ConversationShare };
export type { StoredChunkSettings, StoredRetrievalSettings } from "./knowledge-base.js";
export { DocumentSource, DocumentStatus } from "./knowledge-document.js";
export type { GenerationParams } from "./conversation.js";
export { MessageFeedback, MessageRating, MessageRole, MessageStatus, MessageUsage } from "./message.js";
export type { MessageFeedbackData } from "./message.js";
export { Citation } from "./citation.js";
export type { CitationData } from "./citation.js";
export const entities = [Conversation, Message, KnowledgeBase, KnowledgeDocument, KnowledgeChunk, ConversationShare];
