import type { InferenceService } from "./inference-service.js";
import type { ModelService } from "./model-service.js";

/** The model subgraph's service layer, handed to resolvers through the context. */
export interface ModelServices {
  models: ModelService;
  inference: InferenceService;
}
