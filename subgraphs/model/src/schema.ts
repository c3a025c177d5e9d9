import type { SchemaOptions } from "@ods/kit";
import { resolveModelReference } from "./model.reference.js";
import { DeploymentResolver } from "./resolvers/deployment.resolver.js";
import { ModelEndpointResolver, ModelEndpointsResolver } from "./resolvers/endpoint.resolver.js";
import { ModelResolver } from "./resolvers/model.resolver.js";
import { PromptTemplateResolver } from "./resolvers/template.resolver.js";
import { UsageResolver } from "./resolvers/usage.resolver.js";
import type { ModelServices } from "./services/index.js";

export { entities } from "./entities/index.js";

/** Everything the model subgraph's schema is built from (also read by `npm run compose`). */
export const schemaOptions: SchemaOptions<ModelServices> = {
  resolvers: [
    ModelResolver,
    PromptTemplateResolver,
    DeploymentResolver,
    ModelEndpointsResolver,
    ModelEndpointResolver,
    UsageResolver,
  ],
  references: { Model: resolveModelReference },
};
