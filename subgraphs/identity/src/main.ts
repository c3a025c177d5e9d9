import "reflect-metadata";
import { closeOnSignals, createLogger, openDatabase, startSubgraph, ConfigError } from "@ods/kit";
import { loadIdentityConfig } from "./config.js";
import { migrations } from "./migrations/index.js";
import { entities, schemaOptions } from "./schema.js";
import { ApiKeyService } from "./services/api-key-service.js";
import { TokenService } from "./services/token-service.js";
import { UserService } from "./services/user-service.js";
import { mountRoutes } from "./routes.js";

async function main() {
  const config = loadIdentityConfig();
  const logger = createLogger("identity", config.ODS_LOG_LEVEL);
  const orm = await openDatabase({
    name: "identity",
    dataDir: config.ODS_DATA_DIR,
    databaseUrl: config.ODS_DATABASE_URL,
    entities,
    migrations,
  });
  const tokens = new TokenService(config.ODS_INTERNAL_SECRET, config.ODS_ACCESS_TOKEN_TTL);
  const users = new UserService(tokens, logger);
  const apiKeys = new ApiKeyService();
  const em = orm.em.fork();
  await tokens.init(em);
  const setupToken = await users.bootstrap(em, { email: config.ODS_ADMIN_EMAIL, password: config.ODS_ADMIN_PASSWORD });
  if (setupToken) {
    // Printed, not logged as data: this is the one way into a fresh install without configured credentials.
    logger.warn(
      { setupUrl: `${config.ODS_PUBLIC_URL}/setup?token=${setupToken}` },
      "no users yet: open the setup link to create the first admin",
    );
  }
  const services = { users, tokens, apiKeys };
  const subgraph = await startSubgraph({
    ...schemaOptions,
    name: "identity",
    port: config.ODS_IDENTITY_PORT,
    internalSecret: config.ODS_INTERNAL_SECRET,
    orm,
    logger,
    services,
    routes: (app) => mountRoutes(app, { orm, services, internalSecret: config.ODS_INTERNAL_SECRET }),
  });
  closeOnSignals(() => subgraph.close(), logger);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
