import { serviceCaller, upstreamUnavailable, type Caller } from "@ods/kit";
import type OpenAI from "openai";

/** Turns texts into vectors with a model of the registry, through the model API (so usage is accounted). */
export class Embedder {
  constructor(private readonly modelClient: (caller: Caller) => Promise<OpenAI>) {}

  /**
   * Embeds `texts` (one request) with `model`, acting for `onBehalfOf`.
   *
   * @throws AppError UPSTREAM_UNAVAILABLE when the model API fails or answers with the wrong number of vectors.
   */
  async embed(model: string, texts: string[], onBehalfOf: Caller, signal?: AbortSignal): Promise<number[][]> {
    if (texts.length === 0) return [];
    const client = await this.modelClient(serviceCaller("conversation", onBehalfOf));
    let data: { index: number; embedding: number[] | string }[];
    try {
      ({ data } = await client.embeddings.create(
        { model, input: texts, encoding_format: "float" },
        signal ? { signal } : undefined,
      ));
    } catch (err) {
      throw upstreamUnavailable(`The embedding model ${model} failed: ${(err as Error).message}`);
    }
    if (data.length !== texts.length) {
      throw upstreamUnavailable(
        `The embedding model ${model} answered ${data.length} vectors for ${texts.length} texts`,
      );
    }
    const vectors = new Array<number[]>(texts.length);
    for (const item of data) {
      if (typeof item.embedding === "string") throw upstreamUnavailable(`${model} answered base64, not floats`);
      vectors[item.index] = item.embedding;
    }
    return vectors;
  }
}
