import { ModelsQuery } from "./documents.js";
import type { ModelKind, SdkModelsQuery } from "./gql/graphql.js";
import { toPage, type Page, type PageOptions, type Transport } from "./transport.js";

/** A registered model: `name` is what OpenAI-compatible clients pass as `model`. */
export type ModelInfo = SdkModelsQuery["models"]["edges"][number]["node"];

/** Options of {@link ModelsApi.list}. */
export interface ListModelsOptions extends PageOptions {
  /** Only chat models or only embedding models. */
  kind?: ModelKind;
}

/** The model registry. */
export class ModelsApi {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** One page of the registered models. */
  async list(options: ListModelsOptions = {}): Promise<Page<ModelInfo>> {
    const data = await this.#transport.graphql(ModelsQuery, {
      kind: options.kind ?? null,
      first: options.first ?? null,
      after: options.after ?? null,
    });
    return toPage(data.models);
  }
}
