import type { EntityManager } from "@mikro-orm/core";
import { badInput, parseInput, upstreamUnavailable, withDeadline, type Caller } from "@ods/kit";
import OpenAI from "openai";
import { z } from "zod";
import { Model, ModelKind } from "../../entities/index.js";
import { describeUpstreamError, registerModelInput, type ModelService } from "../model-service.js";

export const importModelsInput = z.object({
  baseUrl: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL, e.g. http://host:8000/v1" })
    .max(2000)
    .transform((u) => u.replace(/\/+$/, "")),
  apiKey: z.string().trim().min(1, "must not be empty").max(4000).nullish(),
  kind: z.enum(ModelKind).nullish(),
});
export type ImportModelsData = z.input<typeof importModelsInput>;

/** A model's kind guessed from its name when the caller did not say (embedders and rerankers name themselves). */
export function guessKind(id: string): ModelKind {
  if (/rerank/i.test(id)) return ModelKind.RERANK;
  if (/embed|(^|[/_-])(bge|e5|gte|minilm)([._-]|$)/i.test(id)) return ModelKind.EMBEDDING;
  return ModelKind.CHAT;
}

/**
 * Reads an OpenAI-compatible endpoint's `GET /models` and registers each model it lists under its own id,
 * skipping names already registered. Returns the models it registered, in the endpoint's order.
 */
export async function importModels(
  models: ModelService,
  em: EntityManager,
  caller: Caller & { userId: string },
  input: ImportModelsData,
  timeoutMs: number,
): Promise<Model[]> {
  const data = parseInput(importModelsInput, input);
  const client = new OpenAI({
    baseURL: data.baseUrl,
    apiKey: data.apiKey ?? "unused",
    defaultHeaders: data.apiKey ? undefined : { Authorization: null },
    timeout: timeoutMs,
    maxRetries: 0,
  });
  let ids: string[];
  try {
    const page = await withDeadline(client.models.list(), timeoutMs + 100, `no answer within ${timeoutMs} ms`);
    ids = [...new Set(page.data.map((m) => m.id))];
  } catch (err) {
    throw upstreamUnavailable(`${data.baseUrl}/models: ${describeUpstreamError(err)}`);
  }
  if (ids.length === 0) throw badInput(`${data.baseUrl}/models lists no models`);
  const existing = new Set((await em.find(Model, { name: { $in: ids } })).map((m) => m.name));
  // Validated up front, so an id that cannot be a model name is skipped instead of failing half-way.
  const inputs = ids
    .filter((id) => !existing.has(id))
    .map((id) => ({
      name: id,
      kind: data.kind ?? guessKind(id),
      baseUrl: data.baseUrl,
      apiKey: data.apiKey ?? null,
      upstreamModel: id,
    }))
    .filter((candidate) => registerModelInput.safeParse(candidate).success);
  const registered: Model[] = [];
  for (const candidate of inputs) registered.push(await models.register(em, caller, candidate));
  return registered;
}
