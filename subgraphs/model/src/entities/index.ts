import { Model } from "./model.js";
import { ModelDeployment } from "./model-deployment.js";
import { ModelEndpoint } from "./model-endpoint.js";
import { PromptTemplate, PromptTemplateVersion } from "./prompt-template.js";
import { UsageRecord } from "./usage-record.js";

export { Model };
export { DEFAULT_VLLM_IMAGE, ModelDeployment, ModelDeploymentStatus } from "./model-deployment.js";
export { ModelEndpoint, ModelStatus } from "./model-endpoint.js";
export { PromptTemplate, PromptTemplateVersion };
export { UsageRecord, type UsageStatus } from "./usage-record.js";
export { BUILTIN_CHAT_ID, BUILTIN_EMBEDDER_ID, BUILTIN_RERANKER_ID, ModelKind, ModelProvider } from "./model.js";
export const entities = [Model, ModelEndpoint, UsageRecord, PromptTemplate, PromptTemplateVersion, ModelDeployment];
