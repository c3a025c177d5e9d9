import "reflect-metadata";
import { closeOnSignals, createLogger, openDatabase, ConfigError } from "@ods/kit";
import { startModelSubgraph } from "./app.js";
import { loadModelConfig } from "./config.js";
import { migrations } from "./migrations/index.js";
import { entities } from "./schema.js";

async function main() {
  const config = loadModelConfig();
  const logger = createLogger("model", config.ODS_LOG_LEVEL);
  const orm = await openDatabase({
    name: "model",
    dataDir: config.ODS_DATA_DIR,
    databaseUrl: config.ODS_DATABASE_URL,
    entities,
    migrations,
  });
  const subgraph = await startModelSubgraph(config, orm, logger);
  closeOnSignals(() => subgraph.close(), logger);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
