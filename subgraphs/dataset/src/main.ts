import "reflect-metadata";
import {
  closeOnSignals,
  ConfigError,
  createLogger,
  createUserDirectory,
  openDatabase,
  reencryptColumn,
  secretKeyring,
  startSubgraph,
} from "@ods/kit";
import { loadDatasetConfig } from "./config.js";
import { migrations } from "./migrations/index.js";
import { DataSource } from "./entities/index.js";
import { entities, schemaOptions } from "./schema.js";
import { createDatasetServices } from "./services/index.js";
import { failInterruptedJobs } from "./services/interrupted-jobs.js";
import { mountRoutes } from "./routes.js";

async function main() {
  const config = loadDatasetConfig();
  const logger = createLogger("dataset", config.ODS_LOG_LEVEL);
  const orm = await openDatabase({
    name: "dataset",
    dataDir: config.ODS_DATA_DIR,
    databaseUrl: config.ODS_DATABASE_URL,
    entities,
    migrations,
  });
  const services = createDatasetServices(config, {
    logger,
    directory: createUserDirectory({
      identityUrl: config.ODS_IDENTITY_URL,
      internalSecret: config.ODS_INTERNAL_SECRET,
      service: "dataset",
    }),
  });
  // After a key rotation, stored connections move to the current key before anything reads them.
  const rotated = await reencryptColumn(
    orm.em.fork(),
    DataSource,
    "encryptedConnection",
    secretKeyring(config.ODS_SECRET_KEY ?? config.ODS_INTERNAL_SECRET, config.ODS_SECRET_KEY_PREVIOUS),
  );
  if (rotated) logger.info({ rotated }, "re-encrypted stored connections under the current ODS_SECRET_KEY");
  const interrupted = await failInterruptedJobs(orm.em.fork());
  if (interrupted) logger.warn({ jobs: interrupted }, "marked jobs interrupted by the last shutdown as failed");
  const subgraph = await startSubgraph({
    ...schemaOptions,
    name: "dataset",
    port: config.ODS_DATASET_PORT,
    internalSecret: config.ODS_INTERNAL_SECRET,
    orm,
    logger,
    services,
    readiness: [{ name: "object store", check: () => services.store.ping() }],
    routes: (app) => mountRoutes(app, { orm, services, internalSecret: config.ODS_INTERNAL_SECRET, logger }),
    // Let running catalog refreshes and statistics jobs settle before the database closes.
    onClose: async () => {
      await Promise.all([services.dataSources.idle(), services.datasets.idle()]);
      await services.audit.close();
    },
  });
  closeOnSignals(() => subgraph.close(), logger);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
