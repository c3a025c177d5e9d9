import type { MikroORM } from "@mikro-orm/core";
import {
  createAuditClient,
  reencryptColumn,
  secretKeyring,
  startSubgraph,
  type Logger,
  type RunningSubgraph,
} from "@ods/kit";
import type { ModelConfig } from "./config.js";
import { Model, ModelEndpoint } from "./entities/index.js";
import { mountOpenAIRoutes } from "./routes.js";
import { schemaOptions } from "./schema.js";
import { DeploymentService, DeploymentWatcher, mountDeploymentRoutes } from "./services/deployments/index.js";
import type { ModelServices } from "./services/index.js";
import { HealthService } from "./services/health-service.js";
import { InferenceService } from "./services/inference-service.js";
import { createLimitService } from "./services/limits/index.js";
import { ModelService } from "./services/model-service.js";
import { EndpointRouter } from "./services/routing/router.js";
import { TemplateService } from "./services/templates/template-service.js";
import { UsageService } from "./services/usage/index.js";

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
    | "ODS_SECRET_KEY_PREVIOUS"
    | "ODS_BUILTIN_TOKEN_DELAY_MS"
    | "ODS_MODEL_UPSTREAM_TIMEOUT_MS"
    | "ODS_MODEL_CHECK_TIMEOUT_MS"
  > &
    Partial<Pick<ModelConfig, "ODS_DEPLOYMENT_POLL_MS" | "ODS_DEPLOYMENT_READY_TIMEOUT_MS">> &
    Partial<
      Pick<
        ModelConfig,
        | "ODS_MODEL_PROBE_INTERVAL_MS"
        | "ODS_MODEL_FIRST_TOKEN_TIMEOUT_MS"
        | "ODS_MODEL_BREAKER_FAILURES"
        | "ODS_MODEL_BREAKER_COOLDOWN_MS"
      >
    > &
    Partial<
      Pick<ModelConfig, "ODS_REDIS_URL" | "ODS_LIMIT_USER_RPM" | "ODS_LIMIT_USER_TOKENS_PER_DAY" | "ODS_USAGE_FLUSH_MS">
    > &
    Partial<Pick<ModelConfig, "ODS_IDENTITY_URL">>,
  orm: MikroORM,
  logger: Logger,
): Promise<RunningSubgraph & { services: ModelServices; deploymentWatcher: DeploymentWatcher }> {
  const secretKeys = secretKeyring(config.ODS_SECRET_KEY ?? config.ODS_INTERNAL_SECRET, config.ODS_SECRET_KEY_PREVIOUS);
  // After a key rotation, stored API keys move to the current key before anything reads them.
  const rotated =
    (await reencryptColumn(orm.em.fork(), Model, "apiKeyEncrypted", secretKeys)) +
    (await reencryptColumn(orm.em.fork(), ModelEndpoint, "apiKeyEncrypted", secretKeys));
  if (rotated > 0) logger.info({ rotated }, "re-encrypted stored API keys under the current ODS_SECRET_KEY");
  const models = new ModelService({
    secretKey: secretKeys,
    upstreamTimeoutMs: config.ODS_MODEL_UPSTREAM_TIMEOUT_MS,
    checkTimeoutMs: config.ODS_MODEL_CHECK_TIMEOUT_MS,
  });
  models.forgetOnRegistryChange(orm.em.getEventManager());
  const router = new EndpointRouter({
    endpoints: (model) => models.endpointsOf(orm.em.fork(), model),
    apiKeyOf: (encrypted) => models.apiKeyOf(encrypted),
    upstreamTimeoutMs: config.ODS_MODEL_UPSTREAM_TIMEOUT_MS,
    failureThreshold: config.ODS_MODEL_BREAKER_FAILURES ?? 5,
    cooldownMs: config.ODS_MODEL_BREAKER_COOLDOWN_MS ?? 30_000,
  });
  const inference = new InferenceService(models, {
    tokenDelayMs: config.ODS_BUILTIN_TOKEN_DELAY_MS,
    upstreamTimeoutMs: config.ODS_MODEL_UPSTREAM_TIMEOUT_MS,
    firstTokenTimeoutMs: config.ODS_MODEL_FIRST_TOKEN_TIMEOUT_MS ?? 30_000,
    router,
  });
  const health = new HealthService(models, router, { checkTimeoutMs: config.ODS_MODEL_CHECK_TIMEOUT_MS });
  const services: ModelServices = {
    models,
    inference,
    router,
    health,
    templates: new TemplateService(),
    deployments: new DeploymentService(),
    usage: new UsageService(orm, logger, { flushMs: config.ODS_USAGE_FLUSH_MS }),
    limits: createLimitService({
      redisUrl: config.ODS_REDIS_URL,
      defaults: {
        userRequestsPerMinute: config.ODS_LIMIT_USER_RPM,
        userTokensPerDay: config.ODS_LIMIT_USER_TOKENS_PER_DAY,
      },
      logger,
    }),
    audit: createAuditClient({
      identityUrl: config.ODS_IDENTITY_URL ?? "http://127.0.0.1:4001",
      internalSecret: config.ODS_INTERNAL_SECRET,
      service: "model",
      logger,
    }),
  };
  await models.ensureBuiltins(orm.em.fork());
  const subgraph = await startSubgraph({
    ...schemaOptions,
    name: "model",
    port: config.ODS_MODEL_PORT,
    internalSecret: config.ODS_INTERNAL_SECRET,
    orm,
    logger,
    services,
    readiness: [health.readiness()],
    // Buffered usage records are written before the database closes.
    onClose: async () => {
      await health.stop();
      await services.usage.close();
      await services.limits.close();
      await services.audit.close();
    },
    routes: (app) => {
      // Before the OpenAI-compatible routes, whose catch-all answers every other /v1 path with a 404.
      mountDeploymentRoutes(app, {
        orm,
        deployments: services.deployments,
        internalSecret: config.ODS_INTERNAL_SECRET,
      });
      mountOpenAIRoutes(app, { orm, services, internalSecret: config.ODS_INTERNAL_SECRET, logger });
    },
  });
  const deploymentWatcher = new DeploymentWatcher(orm, {
    addEndpoint: (em, modelId, endpoint) => models.addEndpoint(em, modelId, endpoint),
    pollMs: config.ODS_DEPLOYMENT_POLL_MS ?? 15_000,
    readyTimeoutMs: config.ODS_DEPLOYMENT_READY_TIMEOUT_MS ?? 3_600_000,
    checkTimeoutMs: config.ODS_MODEL_CHECK_TIMEOUT_MS,
    logger,
  });
  deploymentWatcher.start();
  health.start(orm, logger, config.ODS_MODEL_PROBE_INTERVAL_MS ?? 30_000);
  return {
    ...subgraph,
    services,
    deploymentWatcher,
    close: async () => {
      await deploymentWatcher.stop();
      await subgraph.close();
    },
  };
}
