import type { Logger } from "@ods/kit";
import type { Router } from "express";
import type { Authenticator } from "../auth.js";
import type { InternalTokens } from "../internal-tokens.js";
import { passThrough } from "./pass-through.js";

/**
 * The OpenAI-compatible API at `/v1`, passed through to the model subgraph, with the gateway's own refusals in
 * OpenAI's error shape so the official SDKs report them as they would OpenAI's.
 */
export function openAiRoutes(options: {
  modelUrl: string;
  tokens: InternalTokens;
  auth: Authenticator;
  logger: Logger;
}): Router {
  return passThrough({
    target: options.modelUrl,
    tokens: options.tokens,
    auth: options.auth,
    logger: options.logger,
    refuse: (res, status, message) =>
      res.status(status).json({
        error: {
          message,
          type: status === 401 ? "invalid_request_error" : "api_error",
          param: null,
          code: status === 401 ? "invalid_api_key" : "upstream_unavailable",
        },
      }),
  });
}
