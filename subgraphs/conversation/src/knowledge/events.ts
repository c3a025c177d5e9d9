import type { DocumentStatus } from "../entities/index.js";

/** What `documentStatus` subscribers learn each time a document's ingestion moves. */
export interface DocumentStatusEvent {
  documentId: string;
  knowledgeBaseId: string;
  status: DocumentStatus;
  progress: number;
  chunkCount: number;
  error: string | null;
}

/** The channel of one document's ingestion events. */
export const documentChannel = (documentId: string) => `knowledge.document:${documentId}`;

/** The channel of every document of one knowledge base. */
export const knowledgeBaseChannel = (knowledgeBaseId: string) => `knowledge.base:${knowledgeBaseId}`;

/** The vector-store collection of a knowledge base (Milvus allows letters, digits and underscores). */
export const collectionName = (knowledgeBaseId: string) => `kb_${knowledgeBaseId.replace(/-/g, "")}`;
