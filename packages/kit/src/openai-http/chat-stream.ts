import type { IncomingMessage } from "node:http";
import OpenAI from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { SseDecoder } from "./sse.js";
import { BodyReader } from "./upstream.js";

/**
 * The chunks of a streamed chat completion response, as the `openai` SDK's stream yields them but gathered by
 * the read that brought them: one array per piece of the body the network delivered (never empty). Read with
 * {@link BodyReader} and {@link SseDecoder} instead of the SDK's fetch and web streams (a cost paid per chunk).
 *
 * @remarks A server that writes several events at once (the model API with `stream_options.batch_ms`) is read
 * with one iteration per write, so a consumer can treat each array as one batch. Ends at `[DONE]` or at the end
 * of the body. An event carrying `error` is thrown as `OpenAI.APIError`, like the SDK does, after the chunks
 * before it; a connection that drops before the end throws (see {@link BodyReader.next}).
 */
export async function* readChatStream(res: IncomingMessage): AsyncGenerator<ChatCompletionChunk[]> {
  const reader = new BodyReader(res);
  const decoder = new SseDecoder();
  let finished = false;
  try {
    for (let text = await reader.next(); text !== null; text = await reader.next()) {
      const chunks: ChatCompletionChunk[] = [];
      for (const data of decoder.push(text)) {
        if (data === "[DONE]") {
          finished = true;
          break;
        }
        const chunk = JSON.parse(data) as ChatCompletionChunk & { error?: object };
        if (chunk.error) {
          if (chunks.length) yield chunks;
          throw new OpenAI.APIError(undefined, chunk.error, undefined, undefined);
        }
        chunks.push(chunk);
      }
      if (chunks.length) yield chunks;
      if (finished) return;
    }
    finished = true;
  } finally {
    // Stopped early (a break, an error): the rest of the answer is not wanted, and the connection is not reusable.
    // After [DONE] the reader keeps reading what is left, and the connection goes back to the pool at its end.
    if (!finished && !res.complete) res.destroy();
  }
}
