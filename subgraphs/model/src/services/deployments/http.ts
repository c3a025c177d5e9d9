import type { MikroORM } from "@mikro-orm/core";
import { INTERNAL_TOKEN_HEADER, verifyInternalToken, type Caller } from "@ods/kit";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { ApiError, unauthorized } from "../api-error.js";
import type { DeploymentService } from "./deployment-service.js";

/**
 * Mounts `GET /v1/deployments/:id/manifest.yaml`: a deployment's Kubernetes manifest as a download for
 * `kubectl apply -f`. Mount it before the OpenAI-compatible routes, whose catch-all answers unknown `/v1` paths.
 *
 * @remarks Authenticated like the rest of `/v1` (a Bearer internal token, signed by the gateway); a deployment
 * that does not exist or belongs to someone else is a 404 in OpenAI's error shape.
 */
export function mountDeploymentRoutes(
  app: Express,
  deps: { orm: MikroORM; deployments: DeploymentService; internalSecret: string },
): void {
  const router = express.Router();
  router.get("/:id/manifest.yaml", async (req: Request<{ id: string }>, res) => {
    const caller = await authenticate(req, deps.internalSecret);
    const deployment = await deps.deployments.find(deps.orm.em.fork(), caller, req.params.id);
    if (!deployment) {
      throw new ApiError(404, `Deployment ${req.params.id} was not found`, "invalid_request_error", "not_found");
    }
    res
      .status(200)
      // attachment() sets a type from the file name, so the registered YAML media type (RFC 9512) comes after it.
      .attachment(`${deployment.name}.yaml`)
      .type("application/yaml; charset=utf-8")
      .send(deps.deployments.manifest(deployment));
  });
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof ApiError) || res.headersSent) {
      next(err);
      return;
    }
    res.status(err.status).json(err.body());
  });
  app.use("/v1/deployments", router);
}

async function authenticate(req: Request, secret: string): Promise<Caller> {
  const bearer = req
    .header("authorization")
    ?.match(/^Bearer\s+(.+)$/i)?.[1]
    ?.trim();
  const token = bearer ?? req.header(INTERNAL_TOKEN_HEADER);
  if (!token) throw unauthorized("Missing credentials: send Authorization: Bearer <token>");
  let caller: Caller;
  try {
    caller = await verifyInternalToken(secret, token);
  } catch {
    throw unauthorized("Invalid or expired token");
  }
  if (!caller.userId) throw unauthorized("You must be signed in to download a deployment's manifest");
  return caller;
}
