import type { MikroORM } from "@mikro-orm/core";
import type { PubSub } from "@ods/kit";
import { DocumentStatus, KnowledgeDocument } from "../entities/index.js";
import { documentChannel, knowledgeBaseChannel, type DocumentStatusEvent } from "./events.js";

const TERMINAL = new Set([DocumentStatus.READY, DocumentStatus.FAILED]);

/**
 * The `documentStatus` stream: the document as stored now, then again each time its ingestion moves, ending once
 * it is READY or FAILED. Given a knowledge base instead, every document of it, until the client leaves.
 *
 * @remarks Events only say "this document changed": each one is answered with the stored row, so a subscriber
 * never sees a state the database does not hold, and one that subscribes late starts from the present.
 */
export async function* documentStatusStream(
  deps: { orm: MikroORM; pubsub: PubSub },
  target: { documentId: string } | { knowledgeBaseId: string },
  signal: AbortSignal,
): AsyncGenerator<KnowledgeDocument> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  const channel =
    "documentId" in target ? documentChannel(target.documentId) : knowledgeBaseChannel(target.knowledgeBaseId);
  const unsubscribe = await deps.pubsub.subscribe(channel, (message) => {
    const id = (message as DocumentStatusEvent | null)?.documentId;
    if (typeof id === "string") {
      queue.push(id);
      wake?.();
    }
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    if ("documentId" in target) {
      const current = await deps.orm.em.fork().findOne(KnowledgeDocument, { id: target.documentId });
      if (!current) return;
      yield current;
      if (TERMINAL.has(current.status)) return;
    }
    let last = new Map<string, string>();
    while (!signal.aborted) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const ids = [...new Set(queue.splice(0))];
      const rows = await deps.orm.em.fork().find(KnowledgeDocument, { id: { $in: ids } });
      for (const row of rows) {
        // Several events may collapse into one read; the same state is not sent twice in a row.
        const key = `${row.status}:${row.progress}:${row.chunkCount}:${row.error ?? ""}`;
        if (last.get(row.id) === key) continue;
        last.set(row.id, key);
        yield row;
        if ("documentId" in target && TERMINAL.has(row.status)) return;
      }
      if (last.size > 10_000) last = new Map();
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    await unsubscribe();
  }
}
