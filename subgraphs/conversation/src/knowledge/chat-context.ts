import type { MikroORM } from "@mikro-orm/core";
import type { Caller, Logger } from "@ods/kit";
import type { CitationData } from "../entities/citation.js";
import { KnowledgeBase } from "../entities/index.js";
import type { KnowledgeService } from "./knowledge-service.js";
import type { RetrievalRequest, RetrievalService, RetrievedChunkData } from "./retrieval-service.js";

/** What a conversation asks of retrieval: its knowledge bases and settings that override theirs. */
export interface ConversationKnowledge {
  knowledgeBaseIds?: string[] | null;
  retrieval?: Record<string, unknown> | null;
}

const SNIPPET_CHARS = 300;
/** The most characters of retrieved text put into one prompt (the prompt builder trims history, not this). */
const MAX_CONTEXT_CHARS = 12_000;

/**
 * Builds the retrieval step of a chat reply: searches the conversation's knowledge bases with the question, and
 * returns numbered sources for the prompt and the citations stored with the message and streamed to the client.
 *
 * @remarks A conversation may use the knowledge bases its sender may see: their own, those shared with them
 * (as viewer or editor), and for admins any. Ones that were deleted (or are no longer shared with the sender) are
 * skipped with a warning rather than failing the reply: the conversation still answers, without them.
 * Parent-child chunks hand the model their parent passage; the citation's snippet is the recalled chunk itself,
 * which is what matched.
 */
export function createChatContext(deps: {
  orm: MikroORM;
  retrieval: RetrievalService;
  knowledge: KnowledgeService;
  logger: Logger;
}) {
  return async (input: {
    conversation: ConversationKnowledge;
    question: string;
    caller: Caller;
    signal: AbortSignal;
  }): Promise<{ context: string; citations: CitationData[] } | null> => {
    const ids = input.conversation.knowledgeBaseIds ?? [];
    if (ids.length === 0 || !input.caller.userId || !input.question.trim()) return null;
    const em = deps.orm.em.fork();
    const reachable = await deps.knowledge.reachableWhere(em, input.caller);
    const kbs = await em.find(KnowledgeBase, { id: { $in: ids }, ...(reachable as object) });
    if (kbs.length < ids.length) {
      deps.logger.warn({ missing: ids.filter((id) => !kbs.some((kb) => kb.id === id)) }, "knowledge bases gone");
    }
    const settings = (input.conversation.retrieval ?? {}) as Partial<RetrievalRequest>;
    const request: RetrievalRequest = { ...settings, query: input.question };
    const found: RetrievedChunkData[] = (
      await Promise.all(kbs.map((kb) => deps.retrieval.search(em, input.caller, kb, request, input.signal)))
    ).flat();
    if (found.length === 0) return null;
    const topK = settings.topK ?? Math.max(...kbs.map((kb) => kb.retrieval.topK ?? 5));
    const chosen = found.sort((a, b) => b.score - a.score).slice(0, topK);

    const sources: string[] = [];
    const citations: CitationData[] = [];
    let used = 0;
    for (const hit of chosen) {
      const marker = citations.length + 1;
      const passage = (hit.chunk.parentContent ?? hit.chunk.content).trim();
      const text = passage.slice(0, Math.max(0, MAX_CONTEXT_CHARS - used));
      if (!text) break;
      used += text.length;
      sources.push(`[${marker}] Source: ${hit.document.title}\n${text}`);
      citations.push({
        marker,
        knowledgeBaseId: hit.knowledgeBaseId,
        documentId: hit.document.id,
        documentName: hit.document.title,
        chunkId: hit.chunk.id,
        position: hit.chunk.position,
        snippet: hit.chunk.content.slice(0, SNIPPET_CHARS),
        score: hit.score,
      });
    }
    const context =
      "Answer from the numbered sources below when they are relevant, and cite each source you use with its " +
      "number in square brackets, like [1]. If they do not contain the answer, say so.\n\n" +
      sources.join("\n\n");
    return { context, citations };
  };
}
