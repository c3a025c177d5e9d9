import { UniqueConstraintViolationException, type EntityManager, type FilterQuery } from "@mikro-orm/core";
import { badInput, conflict, forbidden, notFound, parseInput, type Caller, isAdmin } from "@ods/kit";
import { z } from "zod";
import { Model, ModelProvider } from "../../entities/index.js";
import { DEFAULT_VLLM_IMAGE, ModelDeployment } from "../../entities/model-deployment.js";
import { renderManifest, RESERVED_VLLM_ARGS } from "./manifest.js";

// Kubernetes object and namespace names (RFC 1035 labels): the Service name becomes a DNS name.
const dnsLabel = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(63, "must be at most 63 characters")
  .regex(
    /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
    "must be a DNS label: lowercase letters, digits and '-', starting with a letter and not ending with '-'",
  );
const noSpaces = (what: string) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(500, "must be at most 500 characters")
    .regex(/^\S+$/, `must be ${what} without spaces`);

export const createDeploymentInput = z.object({
  modelId: z.string().trim().min(1, "must not be empty").max(36),
  name: dnsLabel,
  image: noSpaces("an image reference")
    .nullish()
    .transform((v) => v ?? DEFAULT_VLLM_IMAGE),
  model: noSpaces("a Hugging Face model name or a path"),
  gpus: z
    .number()
    .int()
    .min(0, "must not be negative")
    .max(64, "must be at most 64")
    .nullish()
    .transform((v) => v ?? 1),
  replicas: z
    .number()
    .int()
    .min(1, "must be at least 1")
    .max(100, "must be at most 100")
    .nullish()
    .transform((v) => v ?? 1),
  vllmArgs: z
    .array(z.string().min(1, "must not be empty").max(2000, "must be at most 2000 characters"))
    .max(200, "must hold at most 200 arguments")
    .nullish()
    .transform((v) => v ?? [])
    .superRefine((args, ctx) => {
      for (const [index, arg] of args.entries()) {
        const flag = arg.split("=")[0]!;
        if (RESERVED_VLLM_ARGS.includes(flag)) {
          ctx.addIssue({
            code: "custom",
            path: [index],
            message: `${flag} is set from the deployment's own fields (model, port, the model's name); remove it`,
          });
        }
        if (flag === "--api-key") {
          ctx.addIssue({
            code: "custom",
            path: [index],
            message: "--api-key would be stored and shown in plain text; protect the Service with a NetworkPolicy",
          });
        }
      }
    }),
  namespace: dnsLabel.nullish().transform((v) => v ?? "default"),
  port: z
    .number()
    .int()
    .min(1, "must be a TCP port (1-65535)")
    .max(65_535, "must be a TCP port (1-65535)")
    .nullish()
    .transform((v) => v ?? 8000),
  endpointUrl: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL, e.g. http://host:8000/v1" })
    .max(2000)
    .transform((u) => u.replace(/\/+$/, ""))
    .nullish(),
});

export type CreateDeploymentData = z.input<typeof createDeploymentInput>;

/** Model deployments: specs of vLLM servers, their manifests, and who may see them. */
export class DeploymentService {
  /**
   * Records a deployment of an OpenAI-compatible model. Only the model's owner or an admin may deploy it; the
   * name must be free in its namespace, since it names the Kubernetes objects.
   */
  async create(
    em: EntityManager,
    caller: Caller & { userId: string },
    input: CreateDeploymentData,
  ): Promise<ModelDeployment> {
    const data = parseInput(createDeploymentInput, input);
    const model = await em.findOne(Model, { id: data.modelId });
    if (!model) throw notFound("Model", data.modelId);
    if (model.provider === ModelProvider.BUILTIN) {
      throw badInput(`${model.name} is a built-in model and runs inside the platform; it cannot be deployed`, {
        modelId: "is a built-in model",
      });
    }
    if (!isAdmin(caller) && model.ownerId !== caller.userId) {
      throw forbidden("Only the model's owner or an admin may deploy it");
    }
    if (await em.count(ModelDeployment, { namespace: data.namespace, name: data.name })) {
      throw taken(data.namespace, data.name);
    }
    const deployment = em.create(ModelDeployment, {
      ...data,
      servedModelName: model.upstreamModel ?? model.name,
      endpointUrl: data.endpointUrl ?? null,
      ownerId: caller.userId,
    });
    try {
      await em.flush();
    } catch (err) {
      // Two creations raced past the check: the unique index on (namespace, name) decides.
      if (err instanceof UniqueConstraintViolationException) throw taken(data.namespace, data.name);
      throw err;
    }
    return deployment;
  }

  /** The deployments the caller may see (admins: all; others: their own), optionally of one model, oldest first. */
  async list(em: EntityManager, caller: Caller, modelId?: string | null): Promise<ModelDeployment[]> {
    const where: FilterQuery<ModelDeployment> = {};
    if (!isAdmin(caller)) where.ownerId = caller.userId ?? "";
    if (modelId) where.modelId = modelId;
    return em.find(ModelDeployment, where, { orderBy: { createdAt: "asc", id: "asc" } });
  }

  /** The deployment with `id`, or null when it does not exist or belongs to someone else (existence is not leaked). */
  async find(em: EntityManager, caller: Caller, id: string): Promise<ModelDeployment | null> {
    const deployment = await em.findOne(ModelDeployment, { id });
    if (!deployment || !(isAdmin(caller) || deployment.ownerId === caller.userId)) return null;
    return deployment;
  }

  /** The deployment with `id`; NOT_FOUND when it does not exist or belongs to someone else. */
  async get(em: EntityManager, caller: Caller, id: string): Promise<ModelDeployment> {
    const deployment = await this.find(em, caller, id);
    if (!deployment) throw notFound("ModelDeployment", id);
    return deployment;
  }

  /**
   * Forgets a deployment. The cluster's objects are the user's to delete (`kubectl delete -f`), and an endpoint
   * already added to the model stays until it is removed from the model.
   */
  async delete(em: EntityManager, caller: Caller, id: string): Promise<boolean> {
    const deployment = await this.get(em, caller, id);
    await em.removeAndFlush(deployment);
    return true;
  }

  /** The Kubernetes manifest (Deployment + Service) of a deployment, as YAML. */
  manifest(deployment: ModelDeployment): string {
    return renderManifest(deployment);
  }
}

function taken(namespace: string, name: string) {
  return conflict(`A deployment named ${name} already exists in namespace ${namespace}`);
}
