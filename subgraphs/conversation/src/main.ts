import "reflect-metadata";
import {
  closeOnSignals,
  ConfigError,
  createAuditClient,
  createLogger,
  createUserDirectory,
  openDatabase,
} from "@ods/kit";
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
  const identity = {
    identityUrl: config.ODS_IDENTITY_URL,
    internalSecret: config.ODS_INTERNAL_SECRET,
    service: "conversation",
  };
  const audit = createAuditClient({ ...identity, logger });
  const subgraph = await startConversationSubgraph(config, orm, logger, {
    directory: createUserDirectory(identity),
    audit,
  });
  closeOnSignals(async () => {
    await subgraph.close();
    await audit.close();
  }, logger);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
