import { requireUser, type SubgraphContext } from "@ods/kit";
import {
  Arg,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { Model } from "../entities/index.js";
import { ModelDeployment } from "../entities/model-deployment.js";
import { deploymentEndpoint } from "../services/deployments/index.js";
import type { ModelServices } from "../services/index.js";

@InputType({ description: "A vLLM server for a registered model" })
export class CreateModelDeploymentInput {
  @Field(() => ID, { description: "The OpenAI-compatible model whose endpoint this deployment becomes" })
  modelId: string;

  @Field({ description: "Name of the Kubernetes Deployment and Service: a DNS label, unique in its namespace" })
  name: string;

  @Field(() => String, { nullable: true, description: "Defaults to vllm/vllm-openai:v0.6.3" })
  image?: string | null;

  @Field({ description: "A Hugging Face model name (e.g. Qwen/Qwen2.5-7B-Instruct) or a path in the container" })
  model: string;

  @Field(() => Int, { nullable: true, description: "GPUs per replica; defaults to 1 (0 runs on CPU)" })
  gpus?: number | null;

  @Field(() => Int, { nullable: true, description: "Defaults to 1" })
  replicas?: number | null;

  @Field(() => [String], { nullable: true, description: 'Extra vLLM arguments, e.g. ["--max-model-len", "8192"]' })
  vllmArgs?: string[] | null;

  @Field(() => String, { nullable: true, description: "Kubernetes namespace; defaults to default" })
  namespace?: string | null;

  @Field(() => Int, { nullable: true, description: "Defaults to 8000" })
  port?: number | null;

  @Field(() => String, {
    nullable: true,
    description: "Where the platform reaches the server, when not at http://<name>.<namespace>.svc:<port>/v1",
  })
  endpointUrl?: string | null;
}

@Resolver(() => ModelDeployment)
export class DeploymentResolver {
  @Authorized()
  @Query(() => [ModelDeployment], { description: "Your model deployments (all of them for admins), oldest first" })
  async modelDeployments(
    @Arg("modelId", () => ID, { nullable: true }) modelId: string | null | undefined,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<ModelDeployment[]> {
    return services.deployments.list(em, caller, modelId);
  }

  @Authorized()
  @Query(() => ModelDeployment, { nullable: true })
  async modelDeployment(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<ModelDeployment | null> {
    return services.deployments.find(em, caller, id);
  }

  @Authorized("editor")
  @Mutation(() => ModelDeployment, {
    description: "Records a deployment spec; apply its manifest, and the model gets the endpoint once it answers",
  })
  async createModelDeployment(
    @Arg("input", () => CreateModelDeploymentInput) input: CreateModelDeploymentInput,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<ModelDeployment> {
    requireUser(caller);
    return services.deployments.create(em, caller, { ...input });
  }

  @Authorized("editor")
  @Mutation(() => Boolean, { description: "Forgets a deployment; delete its objects in the cluster yourself" })
  async deleteModelDeployment(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<boolean> {
    return services.deployments.delete(em, caller, id);
  }

  @FieldResolver(() => String, {
    description: "Kubernetes YAML (a Deployment and a Service) for `kubectl apply -f`",
  })
  manifest(@Root() deployment: ModelDeployment, @Ctx() { services }: SubgraphContext<ModelServices>): string {
    return services.deployments.manifest(deployment);
  }

  @FieldResolver(() => String, { description: "The manifest as a download, relative to the API's origin" })
  manifestUrl(@Root() deployment: ModelDeployment): string {
    return `/v1/deployments/${deployment.id}/manifest.yaml`;
  }

  @FieldResolver(() => String, { description: "The URL the platform polls and adds to the model" })
  endpoint(@Root() deployment: ModelDeployment): string {
    return deploymentEndpoint(deployment);
  }

  @FieldResolver(() => Model, { nullable: true, description: "Null once the model was deleted" })
  async registeredModel(
    @Root() deployment: ModelDeployment,
    @Ctx() { em }: SubgraphContext<ModelServices>,
  ): Promise<Model | null> {
    return em.findOne(Model, { id: deployment.modelId });
  }
}
