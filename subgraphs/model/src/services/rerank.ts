import { z } from "zod";
import { BUILTIN_RERANKER_ID, ModelProvider, type Model } from "../entities/index.js";
import { ApiError, fromUpstream, invalidRequest } from "./api-error.js";
import { rerankScores } from "./builtin-reranker.js";
import { describeUpstreamError } from "./model-service.js";
import { countTokens } from "./text.js";
import type { CallObserver } from "./usage/observer.js";

const document = z.union([z.string(), z.object({ text: z.string({ error: "must be a string" }) }).loose()]);

/** The body of `POST /v1/rerank`, in the Jina / TEI / Cohere shape. */
export const rerankRequest = z.object({
  model: z.string().min(1, "is required"),
  query: z.string().min(1, "must not be empty"),
  documents: z.array(document).min(1, "must hold at least one document").max(1000, "must hold at most 1000"),
  top_n: z.number().int().min(1, "must be at least 1").nullish(),
  return_documents: z.boolean().nullish(),
});
export type RerankRequest = z.infer<typeof rerankRequest>;

export interface RerankResult {
  index: number;
  relevance_score: number;
  document?: { text: string };
}

export interface RerankResponse {
  model: string;
  object: "list";
  results: RerankResult[];
  usage: { prompt_tokens: number; total_tokens: number };
}

/** The text of a document as either shape sends it. */
const textOf = (d: RerankRequest["documents"][number]): string => (typeof d === "string" ? d : d.text);

/**
 * Ranks `request.documents` by relevance to `request.query`, best first, keeping `top_n` of them. The built-in
 * reranker scores offline; an OPENAI_COMPATIBLE rerank model is called at `<baseUrl>/rerank` (vLLM, TEI, Jina
 * all serve it there) and its answer normalised to the same shape. `observer` sees the call as chat calls are seen.
 */
/**
 * Sends a rerank body to one of the model's upstream endpoints (with failover and breakers, like chat and
 * embeddings) and returns its answer; throws in OpenAI's error shape.
 */
export type RerankUpstream = (
  model: Model,
  body: Record<string, unknown>,
  signal: AbortSignal | undefined,
  observer: CallObserver | undefined,
) => Promise<UpstreamRerank>;

export async function rerank(
  upstream: RerankUpstream,
  model: Model,
  request: RerankRequest,
  signal?: AbortSignal,
  observer?: CallObserver,
): Promise<RerankResponse> {
  const texts = request.documents.map(textOf);
  const topN = Math.min(request.top_n ?? texts.length, texts.length);
  const withDocuments = request.return_documents ?? false;
  const promptTokens = countTokens(request.query) * texts.length + texts.reduce((n, t) => n + countTokens(t), 0);

  if (model.provider === ModelProvider.BUILTIN) {
    if (model.id !== BUILTIN_RERANKER_ID) throw invalidRequest(`The model '${model.name}' cannot rerank`, "model");
    observer?.onStart({ modelId: model.id, endpoint: "builtin" });
    const scores = rerankScores(request.query, texts);
    observer?.onFirstToken();
    const results = scores
      .map((score, index) => ({ index, relevance_score: round(score) }))
      .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index)
      .slice(0, topN)
      .map((r) => (withDocuments ? { ...r, document: { text: texts[r.index]! } } : r));
    observer?.onEnd({ status: "ok", usage: { promptTokens, completionTokens: 0 } });
    return {
      model: model.name,
      object: "list",
      results,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    };
  }

  let answer: UpstreamRerank;
  try {
    answer = await upstream(
      model,
      {
        model: model.upstreamModel ?? model.name,
        query: request.query,
        documents: texts,
        top_n: topN,
        return_documents: withDocuments,
      },
      signal,
      observer,
    );
  } catch (err) {
    observer?.onEnd(
      signal?.aborted
        ? { status: "cancelled" }
        : { status: "error", errorCode: err instanceof ApiError ? (err.code ?? err.type) : "upstream_error" },
    );
    if (signal?.aborted || err instanceof ApiError) throw err;
    throw fromUpstream(model.name, err, describeUpstreamError);
  }
  observer?.onFirstToken();
  const results = normaliseUpstream(answer, texts, withDocuments, topN);
  if (!results) {
    observer?.onEnd({ status: "error", errorCode: "upstream_error" });
    throw fromUpstream(model.name, new Error("the upstream's /rerank answer has no results"), describeUpstreamError);
  }
  const upstreamTokens = answer.usage?.prompt_tokens ?? answer.usage?.total_tokens;
  const tokens = typeof upstreamTokens === "number" ? upstreamTokens : promptTokens;
  observer?.onEnd({ status: "ok", usage: { promptTokens: tokens, completionTokens: 0 } });
  return { model: model.name, object: "list", results, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

/** What rerank servers answer: Jina/vLLM/Cohere `{ results: [...] }`, or TEI's bare array. */
export type UpstreamRerank = {
  results?: { index: number; relevance_score?: number; score?: number }[];
  usage?: { prompt_tokens?: number; total_tokens?: number };
} & ({ index: number; score?: number; relevance_score?: number }[] | object);

function normaliseUpstream(
  answer: UpstreamRerank,
  texts: string[],
  withDocuments: boolean,
  topN: number,
): RerankResult[] | null {
  const raw = Array.isArray(answer) ? answer : answer.results;
  if (!Array.isArray(raw)) return null;
  const results: RerankResult[] = [];
  for (const item of raw as { index?: unknown; relevance_score?: unknown; score?: unknown }[]) {
    const score = typeof item.relevance_score === "number" ? item.relevance_score : item.score;
    if (typeof item.index !== "number" || typeof score !== "number" || texts[item.index] === undefined) return null;
    results.push({
      index: item.index,
      relevance_score: score,
      ...(withDocuments ? { document: { text: texts[item.index]! } } : {}),
    });
  }
  return results.sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index).slice(0, topN);
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;
