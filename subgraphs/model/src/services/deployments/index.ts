export { createDeploymentInput, DeploymentService, type CreateDeploymentData } from "./deployment-service.js";
export { mountDeploymentRoutes } from "./http.js";
export { deploymentEndpoint, manifestObjects, renderManifest, vllmArguments } from "./manifest.js";
export { DeploymentWatcher, type AddEndpoint, type PollResult } from "./watcher.js";
export { toYaml, toYamlDocuments, type YamlValue } from "./yaml.js";
