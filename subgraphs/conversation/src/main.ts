import "reflect-metadata";
import { closeOnSignals, createLogger, openDatabase, ConfigError } from "@ods/kit";
import { startConversationSubgraph } from "./app.js";
import { loadConversationConfig } from "./config.js";
import { migrations } from "./migrations/index.js";
import { entities } from "./schema.js";

async function main() {
  const config = loadConversationConfig();
  const logger = createLogger("conversation", config.ODS_LOG_LEVEL);
  const orm = await openDatabase({
    name: "conversation",
    dataDir: config.ODS_DATA_DIR,
    databaseUrl: config.ODS_DATABASE_URL,
    entities,
    migrations,
  });
  const subgraph = await startConversationSubgraph(config, orm, logger);
  closeOnSignals(() => subgraph.close(), logger);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
