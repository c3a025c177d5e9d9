import type { AuditClient } from "@ods/kit";
import type { DeploymentService } from "./deployments/deployment-service.js";
import type { HealthService } from "./health-service.js";
import type { InferenceService } from "./inference-service.js";
import type { LimitService } from "./limits/index.js";
import type { ModelService } from "./model-service.js";
import type { EndpointRouter } from "./routing/router.js";
import type { TemplateService } from "./templates/template-service.js";
import type { UsageService } from "./usage/index.js";

/** The model subgraph's service layer, handed to resolvers through the context. */
export interface ModelServices {
  models: ModelService;
  inference: InferenceService;
  router: EndpointRouter;
  health: HealthService;
  templates: TemplateService;
  deployments: DeploymentService;
  usage: UsageService;
  limits: LimitService;
  /** Sends model registry and API key events to the identity subgraph's audit log. */
  audit: AuditClient;
}
