import type { SchemaOptions } from "@ods/kit";
import { resolveModelReference } from "./model.reference.js";
import { ModelResolver } from "./resolvers/model.resolver.js";
import type { ModelServices } from "./services/index.js";

export { entities } from "./entities/index.js";

/** Everything the model subgraph's schema is built from (also read by `npm run compose`). */
export const schemaOptions: SchemaOptions<ModelServices> = {
  resolvers: [ModelResolver],
  references: { Model: resolveModelReference },
};
