export { startGateway, type RunningGateway } from "./server.js";
export { loadGatewayConfig, type GatewayConfig } from "./config.js";
