import "reflect-metadata";
import { closeOnSignals, createLogger, openDatabase, startSubgraph, ConfigError } from "@ods/kit";
import { loadIdentityConfig } from "./config.js";
import { migrations } from "./migrations/index.js";
import { entities, schemaOptions } from "./schema.js";
import { createIdentityServices } from "./services/index.js";
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
  const services = createIdentityServices({
    secret: config.ODS_INTERNAL_SECRET,
    accessTtlSeconds: config.ODS_ACCESS_TOKEN_TTL,
    session: { refreshTtlSeconds: config.ODS_REFRESH_TOKEN_TTL, reuseGraceSeconds: config.ODS_REFRESH_REUSE_GRACE },
    throttle: {
      maxFailures: config.ODS_LOGIN_MAX_FAILURES,
      ipMaxFailures: config.ODS_LOGIN_IP_MAX_FAILURES,
      baseSeconds: config.ODS_LOGIN_LOCKOUT_BASE,
      maxSeconds: config.ODS_LOGIN_LOCKOUT_MAX,
    },
    logger,
    audit: { days: config.ODS_AUDIT_RETENTION_DAYS, securityDays: config.ODS_AUDIT_SECURITY_RETENTION_DAYS },
  });
  const { users, tokens } = services;
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
  services.audit.start(orm);
  const subgraph = await startSubgraph({
    ...schemaOptions,
    name: "identity",
    port: config.ODS_IDENTITY_PORT,
    internalSecret: config.ODS_INTERNAL_SECRET,
    orm,
    logger,
    services,
    routes: (app) => mountRoutes(app, { orm, services, internalSecret: config.ODS_INTERNAL_SECRET, logger }),
    // Write the audit events still queued before the database closes.
    onClose: () => services.audit.stop(),
  });
  closeOnSignals(() => subgraph.close(), logger);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
