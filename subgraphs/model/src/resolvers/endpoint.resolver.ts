import { audited, requireUser, type SubgraphContext } from "@ods/kit";
import { Arg, Authorized, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Resolver, Root } from "type-graphql";
import { Model, ModelKind } from "../entities/index.js";
import { ModelEndpoint } from "../entities/model-endpoint.js";
import type { ModelServices } from "../services/index.js";
import { BreakerState } from "../services/routing/breaker.js";
import { importModels } from "../services/routing/import-models.js";

@InputType({ description: "One upstream of a model" })
export class ModelEndpointInput {
  @Field({ description: "OpenAI-compatible base URL, e.g. http://host:8000/v1" })
  baseUrl: string;

  @Field(() => String, { nullable: true, description: "Stored encrypted; never returned" })
  apiKey?: string | null;

  @Field(() => Int, { nullable: true, description: "Share of the traffic (default 1; 0 takes only failovers)" })
  weight?: number | null;
}

@InputType()
export class ImportModelsInput {
  @Field({ description: "OpenAI-compatible base URL whose GET /models lists what to register" })
  baseUrl: string;

  @Field(() => String, { nullable: true })
  apiKey?: string | null;

  @Field(() => ModelKind, {
    nullable: true,
    description: "The kind of every imported model; guessed from names if unset",
  })
  kind?: ModelKind | null;
}

@Resolver(() => Model)
export class ModelEndpointsResolver {
  @FieldResolver(() => [ModelEndpoint], { description: "The upstreams calls are balanced over; empty for built-ins" })
  async endpoints(
    @Root() model: Model,
    @Ctx() { em, services }: SubgraphContext<ModelServices>,
  ): Promise<ModelEndpoint[]> {
    return services.models.endpointsOf(em, model);
  }

  @Authorized("editor")
  @Mutation(() => [Model], {
    description: "Registers every model an OpenAI-compatible endpoint lists at GET /models, skipping taken names",
  })
  async importModels(
    @Arg("input", () => ImportModelsInput) input: ImportModelsInput,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<Model[]> {
    requireUser(caller);
    return importModels(services.models, em, caller, { ...input }, services.health.checkTimeoutMs);
  }

  @Authorized("editor")
  @Mutation(() => ModelEndpoint, { description: "Adds an upstream to a model (same baseUrl: updates it)" })
  async addModelEndpoint(
    @Arg("modelId", () => ID) modelId: string,
    @Arg("input", () => ModelEndpointInput) input: ModelEndpointInput,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<ModelEndpoint> {
    requireUser(caller);
    const audit = {
      action: "model.endpoint_added",
      caller,
      resourceType: "Model",
      resourceId: modelId,
      details: { apiKeySet: !!input.apiKey },
    };
    return audited(services.audit, audit, async () => {
      await services.models.assertMayChangeModel(em, caller, modelId);
      return services.models.addEndpoint(em, modelId, { ...input });
    });
  }

  @Authorized("editor")
  @Mutation(() => Model, { description: "Removes an upstream from its model (not the last one)" })
  async removeModelEndpoint(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<Model> {
    requireUser(caller);
    const audit = { action: "model.endpoint_removed", caller, resourceType: "ModelEndpoint", resourceId: id };
    return audited(services.audit, audit, () => services.models.removeEndpoint(em, caller, id));
  }
}

@Resolver(() => ModelEndpoint)
export class ModelEndpointResolver {
  @FieldResolver(() => BreakerState, { description: "This process's circuit breaker for the endpoint" })
  breakerState(@Root() endpoint: ModelEndpoint, @Ctx() { services }: SubgraphContext<ModelServices>): BreakerState {
    return services.router.breakerState(endpoint.id);
  }
}
