import { announceListening, closeOnSignals, ConfigError, createLogger } from "@ods/kit";
import { loadGatewayConfig } from "./config.js";
import { startGateway } from "./server.js";

async function main() {
  const config = loadGatewayConfig();
  const logger = createLogger("gateway", config.ODS_LOG_LEVEL);
  const gateway = await startGateway(config, logger);
  announceListening(gateway.port);
  closeOnSignals(() => gateway.close(), logger);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
