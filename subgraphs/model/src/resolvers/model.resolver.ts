import { audited, requireUser, type SubgraphContext, connectionType } from "@ods/kit";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  Float,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  registerEnumType,
  Resolver,
  Root,
} from "type-graphql";
import { Model, ModelKind, ModelProvider } from "../entities/index.js";
import type { ModelServices } from "../services/index.js";
import { ModelEndpointInput } from "./endpoint.resolver.js";
import { ModelLimitsInput } from "./limits.types.js";
import { ModelStatus } from "../services/model-service.js";

registerEnumType(ModelStatus, {
  name: "ModelStatus",
  description: "READY: answers and lists the model; DEGRADED: answers but something is off; UNAVAILABLE: no answer",
});

/** The identity subgraph's user, referenced by id only. */
@ObjectType()
@Directive('@key(fields: "id", resolvable: false)')
export class User {
  @Field(() => ID)
  id: string;
}

@ObjectType()
export class ModelConnection extends connectionType(() => Model, "Model") {}

@ObjectType({ description: "The result of checkModel" })
export class ModelHealth {
  @Field(() => ModelStatus)
  status: ModelStatus;

  @Field(() => Int, { nullable: true, description: "How long the check took, in milliseconds" })
  latencyMs?: number | null;

  @Field(() => GraphQLDateTime)
  checkedAt: Date;

  @Field(() => String, { nullable: true, description: "Why the model is not READY" })
  error?: string | null;
}

@ArgsType()
class ModelsArgs {
  @Field(() => ModelKind, { nullable: true })
  kind?: ModelKind | null;

  @Field(() => String, { nullable: true, description: "Only models carrying this tag (exact match)" })
  tag?: string | null;

  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@InputType()
export class RegisterModelInput {
  @Field({ description: "What clients pass as `model`; unique" })
  name: string;

  @Field(() => ModelKind)
  kind: ModelKind;

  @Field(() => ModelProvider, { nullable: true, description: "Defaults to OPENAI_COMPATIBLE (BUILTIN is reserved)" })
  provider?: ModelProvider | null;

  @Field(() => [ModelEndpointInput], {
    nullable: true,
    description: "Upstreams to balance over, after baseUrl/apiKey (which stay the first); baseUrl may then be left out",
  })
  endpoints?: ModelEndpointInput[] | null;

  @Field(() => String, { nullable: true, description: "OpenAI-compatible base URL, e.g. http://host:8000/v1" })
  baseUrl?: string | null;

  @Field(() => String, { nullable: true, description: "Stored encrypted; never returned" })
  apiKey?: string | null;

  @Field(() => String, { nullable: true })
  upstreamModel?: string | null;

  @Field(() => Int, { nullable: true })
  contextLength?: number | null;

  @Field(() => Int, { nullable: true })
  dimensions?: number | null;

  @Field(() => GraphQLJSON, { nullable: true })
  defaultParams?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Float, { nullable: true, description: "Price per 1,000 prompt tokens, for usage costs" })
  pricePer1kPrompt?: number | null;

  @Field(() => Float, { nullable: true, description: "Price per 1,000 completion tokens, for usage costs" })
  pricePer1kCompletion?: number | null;

  @Field(() => ModelLimitsInput, { nullable: true })
  limits?: ModelLimitsInput | null;

  @Field(() => [String], { nullable: true, description: "1–50 characters each, at most 20; replaces the stored tags" })
  tags?: string[] | null;
}

@InputType({ description: "Fields left out stay as they are; null clears an optional field" })
export class UpdateModelInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => ModelKind, { nullable: true })
  kind?: ModelKind | null;

  @Field(() => String, { nullable: true })
  baseUrl?: string | null;

  @Field(() => String, { nullable: true, description: "A new key, or null to remove the stored one" })
  apiKey?: string | null;

  @Field(() => String, { nullable: true })
  upstreamModel?: string | null;

  @Field(() => Int, { nullable: true })
  contextLength?: number | null;

  @Field(() => Int, { nullable: true })
  dimensions?: number | null;

  @Field(() => GraphQLJSON, { nullable: true })
  defaultParams?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Float, { nullable: true, description: "Price per 1,000 prompt tokens, for usage costs" })
  pricePer1kPrompt?: number | null;

  @Field(() => Float, { nullable: true, description: "Price per 1,000 completion tokens, for usage costs" })
  pricePer1kCompletion?: number | null;

  @Field(() => ModelLimitsInput, { nullable: true })
  limits?: ModelLimitsInput | null;

  @Field(() => [String], { nullable: true, description: "1–50 characters each, at most 20; replaces the stored tags" })
  tags?: string[] | null;
}

/** GraphQL input objects arrive as class instances whose absent fields are missing: keep only what was sent. */
function sent<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}

@Resolver(() => Model)
export class ModelResolver {
  @Authorized()
  @Query(() => ModelConnection, { description: "Registered models, built-ins first" })
  async models(
    @Args(() => ModelsArgs) args: ModelsArgs,
    @Ctx() { em, services }: SubgraphContext<ModelServices>,
  ): Promise<ModelConnection> {
    return services.models.list(em, args);
  }

  @Authorized()
  @Query(() => Model, { nullable: true })
  async model(@Arg("id", () => ID) id: string, @Ctx() { em }: SubgraphContext<ModelServices>): Promise<Model | null> {
    return em.findOne(Model, { id });
  }

  @Authorized("editor")
  @Mutation(() => Model)
  async registerModel(
    @Arg("input", () => RegisterModelInput) input: RegisterModelInput,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<Model> {
    requireUser(caller);
    const audit = {
      action: "model.registered",
      caller,
      resourceType: "Model",
      details: { name: input.name, kind: input.kind, apiKeySet: !!input.apiKey },
    };
    return audited(
      services.audit,
      audit,
      () => services.models.register(em, caller, { ...sent(input), name: input.name, kind: input.kind }),
      (m) => ({ resourceId: m.id }),
    );
  }

  @Authorized("editor")
  @Mutation(() => Model)
  async updateModel(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateModelInput) input: UpdateModelInput,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<Model> {
    requireUser(caller);
    const audit = {
      action: input.apiKey !== undefined ? "model.key_changed" : "model.updated",
      caller,
      resourceType: "Model",
      resourceId: id,
      details: { fields: Object.keys(sent(input)) },
    };
    return audited(services.audit, audit, () => services.models.update(em, caller, id, sent(input)));
  }

  @Authorized("editor")
  @Mutation(() => Boolean)
  async deleteModel(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<boolean> {
    requireUser(caller);
    const audit = { action: "model.deleted", caller, resourceType: "Model", resourceId: id };
    return audited(services.audit, audit, () => services.models.delete(em, caller, id));
  }

  @Authorized()
  @Mutation(() => ModelHealth, { description: "Calls the model's upstream (GET /models) with a deadline" })
  async checkModel(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, services }: SubgraphContext<ModelServices>,
  ): Promise<ModelHealth> {
    return services.health.checkModel(em, id);
  }

  @FieldResolver(() => User, { nullable: true, description: "Who registered the model; null for the built-ins" })
  owner(@Root() model: Model): User | null {
    return model.ownerId ? { id: model.ownerId } : null;
  }
}
