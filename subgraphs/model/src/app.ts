import type { MikroORM } from "@mikro-orm/core";
import { startSubgraph, type Logger, type RunningSubgraph } from "@ods/kit";
import type { ModelConfig } from "./config.js";
import { mountOpenAIRoutes } from "./routes.js";
import { schemaOptions } from "./schema.js";
import type { ModelServices } from "./services/index.js";
import { InferenceService } from "./services/inference-service.js";
import { ModelService } from "./services/model-service.js";

/**
 * Builds the services, upserts the built-in models and starts the subgraph with its `/v1` routes on `orm`.
 * Used by `main.ts` and, in-process, by the tests.
 */
export async function startModelSubgraph(
  config: Pick<
    ModelConfig,
    | "ODS_MODEL_PORT"
    | "ODS_INTERNAL_SECRET"
    | "ODS_SECRET_KEY"
    | "ODS_BUILTIN_TOKEN_DELAY_MS"
    | "ODS_MODEL_UPSTREAM_TIMEOUT_MS"
    | "ODS_MODEL_CHECK_TIMEOUT_MS"
  >,
  orm: MikroORM,
  logger: Logger,
): Promise<RunningSubgraph & { services: ModelServices }> {
  const models = new ModelService({
    secretKey: config.ODS_SECRET_KEY ?? config.ODS_INTERNAL_SECRET,
    upstreamTimeoutMs: config.ODS_MODEL_UPSTREAM_TIMEOUT_MS,
    checkTimeoutMs: config.ODS_MODEL_CHECK_TIMEOUT_MS,
  });
  const inference = new InferenceService(models, {
    tokenDelayMs: config.ODS_BUILTIN_TOKEN_DELAY_MS,
    upstreamTimeoutMs: config.ODS_MODEL_UPSTREAM_TIMEOUT_MS,
  });
  const services: ModelServices = { models, inference };
  await models.ensureBuiltins(orm.em.fork());
  const subgraph = await startSubgraph({
    ...schemaOptions,
    name: "model",
    port: config.ODS_MODEL_PORT,
    internalSecret: config.ODS_INTERNAL_SECRET,
    orm,
    logger,
    services,
    routes: (app) => mountOpenAIRoutes(app, { orm, services, internalSecret: config.ODS_INTERNAL_SECRET, logger }),
  });
  return { ...subgraph, services };
}
