import "reflect-metadata";
import {
  DatasetReader,
  closeOnSignals,
  ConfigError,
  createAuditClient,
  createUserDirectory,
  createLogger,
  createModelClient,
  createPubSub,
  openDatabase,
  startSubgraph,
} from "@ods/kit";
import { loadWorkflowConfig } from "./config.js";
import { migrations } from "./migrations/index.js";
import { entities, schemaOptions } from "./schema.js";
import { createWorkflowServices } from "./services/index.js";

async function main() {
  const config = loadWorkflowConfig();
  const logger = createLogger("workflow", config.ODS_LOG_LEVEL);
  const orm = await openDatabase({
    name: "workflow",
    dataDir: config.ODS_DATA_DIR,
    databaseUrl: config.ODS_DATABASE_URL,
    entities,
    migrations,
  });
  const pubsub = createPubSub(config.ODS_REDIS_URL);
  const audit = createAuditClient({
    identityUrl: config.ODS_IDENTITY_URL,
    internalSecret: config.ODS_INTERNAL_SECRET,
    service: "workflow",
    logger,
  });
  const services = await createWorkflowServices({
    orm,
    pubsub,
    logger,
    retentionSeconds: config.ODS_EVENT_RETENTION_SECONDS,
    modelIdleTimeoutMs: config.ODS_MODEL_IDLE_TIMEOUT_MS,
    // With Redis, several replicas share the runs: a fresh unfinished one may be live on another replica.
    sharedReplicas: Boolean(config.ODS_REDIS_URL),
    modelClient: createModelClient({ modelUrl: config.ODS_MODEL_URL, internalSecret: config.ODS_INTERNAL_SECRET }),
    datasets: new DatasetReader(config.ODS_DATASET_URL, config.ODS_INTERNAL_SECRET),
    audit,
    directory: createUserDirectory({
      identityUrl: config.ODS_IDENTITY_URL,
      internalSecret: config.ODS_INTERNAL_SECRET,
      service: "workflow",
    }),
  });
  const subgraph = await startSubgraph({
    ...schemaOptions,
    name: "workflow",
    port: config.ODS_WORKFLOW_PORT,
    internalSecret: config.ODS_INTERNAL_SECRET,
    orm,
    logger,
    services,
    readiness: [{ name: "pubsub", check: () => pubsub.ping() }],
    onClose: async () => {
      await services.engine.close();
      await pubsub.close();
      await audit.close();
    },
  });
  closeOnSignals(() => subgraph.close(), logger);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
