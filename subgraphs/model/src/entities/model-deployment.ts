import { Entity, Index, OptionalProps, PrimaryKey, Property, Unique } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";

export enum ModelDeploymentStatus {
  PENDING = "PENDING",
  READY = "READY",
  FAILED = "FAILED",
}
registerEnumType(ModelDeploymentStatus, {
  name: "ModelDeploymentStatus",
  description:
    "PENDING: waiting for the endpoint to answer GET /models; READY: it answered and was added as an endpoint " +
    "of the model; FAILED: it never answered in time, or the model could not take the endpoint (see statusMessage)",
});

/** The vLLM image a deployment runs when the spec names none. */
export const DEFAULT_VLLM_IMAGE = "vllm/vllm-openai:v0.6.3";

/**
 * A vLLM server for a registered model, described as a spec the platform renders to a Kubernetes manifest. The
 * user applies the manifest; the platform watches the endpoint and, once it answers, adds it to the model.
 */
@Entity({ tableName: "model_deployment" })
@Unique({ properties: ["namespace", "name"] })
@ObjectType({ description: "A vLLM deployment of a model, rendered as a Kubernetes manifest" })
export class ModelDeployment {
  [OptionalProps]?: "status" | "statusMessage" | "createdAt" | "updatedAt" | "readyAt" | "checkedAt";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 36 })
  @Index()
  @Field(() => ID, { description: "The model the deployment serves; its endpoint is added to this model" })
  modelId: string;

  @Property({ type: "string", length: 63 })
  @Field({ description: "Name of the Kubernetes Deployment and Service (a DNS label)" })
  name: string;

  @Property({ type: "string", length: 500 })
  @Field({ description: "Container image, vllm/vllm-openai:v0.6.3 unless set" })
  image: string;

  @Property({ type: "string", length: 500 })
  @Field({ description: "What vLLM loads: a Hugging Face model name or a path inside the container" })
  model: string;

  @Property({ type: "string", length: 200 })
  @Field({ description: "The name vLLM serves the model under: the model's upstreamModel, else its name" })
  servedModelName: string;

  @Property({ type: "integer" })
  @Field(() => Int, { description: "GPUs per replica (nvidia.com/gpu)" })
  gpus: number;

  @Property({ type: "integer" })
  @Field(() => Int)
  replicas: number;

  @Property({ type: "json" })
  @Field(() => [String], { description: "Extra arguments of the vLLM server" })
  vllmArgs: string[];

  @Property({ type: "string", length: 63 })
  @Field()
  namespace: string;

  @Property({ type: "integer" })
  @Field(() => Int, { description: "The port vLLM listens on and the Service exposes" })
  port: number;

  @Property({ type: "string", length: 2000, nullable: true })
  @Field(() => String, {
    nullable: true,
    description: "Where the platform reaches the server; http://<name>.<namespace>.svc:<port>/v1 when unset",
  })
  endpointUrl?: string | null;

  @Property({ type: "string", length: 16 })
  @Field(() => ModelDeploymentStatus)
  status: ModelDeploymentStatus = ModelDeploymentStatus.PENDING;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true, description: "Why the deployment is FAILED, or the last probe's error" })
  statusMessage?: string | null;

  @Property({ type: "string", length: 36, nullable: true, index: true })
  @Field(() => ID, { nullable: true, description: "Who created the deployment" })
  ownerId?: string | null;

  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true, description: "When the watcher last called the endpoint" })
  checkedAt?: Date | null;

  @Property({ type: "datetime", nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true, description: "When the endpoint first answered" })
  readyAt?: Date | null;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime", onUpdate: () => new Date() })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();
}
