import { requireUser, type SubgraphContext } from "@ods/kit";
import { GraphQLJSON } from "graphql-scalars";
import {
  Arg,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  InputType,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { PromptTemplate, PromptTemplateVersion } from "../entities/index.js";
import type { ModelServices } from "../services/index.js";
import { User } from "./model.resolver.js";

@InputType()
export class CreatePromptTemplateInput {
  @Field({ description: "Unique; what chat requests and workflows name the template by" })
  name: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field({ description: "The text, with {{variable}} placeholders" })
  template: string;

  @Field(() => [String], {
    nullable: true,
    description: "The variables it takes (must include every placeholder); defaults to the placeholders",
  })
  variables?: string[] | null;
}

@InputType({ description: "A new version's text; the description stays unless given" })
export class UpdatePromptTemplateInput {
  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field()
  template: string;

  @Field(() => [String], { nullable: true })
  variables?: string[] | null;
}

@Resolver(() => PromptTemplate)
export class PromptTemplateResolver {
  @Authorized()
  @Query(() => [PromptTemplate], { description: "Every prompt template (latest versions), by name" })
  async promptTemplates(@Ctx() { em, services }: SubgraphContext<ModelServices>): Promise<PromptTemplate[]> {
    return services.templates.list(em);
  }

  @Authorized()
  @Query(() => PromptTemplateVersion, {
    nullable: true,
    description: "A version of the template `name`; the latest when `version` is left out",
  })
  async promptTemplate(
    @Arg("name", () => String) name: string,
    @Arg("version", () => Int, { nullable: true }) version: number | null,
    @Ctx() { em, services }: SubgraphContext<ModelServices>,
  ): Promise<PromptTemplateVersion | null> {
    return services.templates.find(em, name, version);
  }

  @Authorized()
  @Query(() => String, {
    description: "The template filled with `variables`; BAD_USER_INPUT names a missing or unknown variable",
  })
  async renderPromptTemplate(
    @Arg("name", () => String) name: string,
    @Arg("version", () => Int, { nullable: true }) version: number | null,
    @Arg("variables", () => GraphQLJSON, { nullable: true }) variables: Record<string, unknown> | null,
    @Ctx() { em, services }: SubgraphContext<ModelServices>,
  ): Promise<string> {
    return services.templates.render(em, name, version, variables ?? {});
  }

  @Authorized("editor")
  @Mutation(() => PromptTemplate)
  async createPromptTemplate(
    @Arg("input", () => CreatePromptTemplateInput) input: CreatePromptTemplateInput,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<PromptTemplate> {
    requireUser(caller);
    return services.templates.create(em, caller, { ...input });
  }

  @Authorized("editor")
  @Mutation(() => PromptTemplate, { description: "Saves a new version; earlier versions stay renderable" })
  async updatePromptTemplate(
    @Arg("name", () => String) name: string,
    @Arg("input", () => UpdatePromptTemplateInput) input: UpdatePromptTemplateInput,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<PromptTemplate> {
    requireUser(caller);
    return services.templates.update(em, caller, name, { ...input });
  }

  @FieldResolver(() => [PromptTemplateVersion], { description: "Every version, newest first" })
  async versions(
    @Root() template: PromptTemplate,
    @Ctx() { em, services }: SubgraphContext<ModelServices>,
  ): Promise<PromptTemplateVersion[]> {
    return services.templates.versions(em, template);
  }

  @FieldResolver(() => User, { nullable: true, description: "Who created the template" })
  owner(@Root() template: PromptTemplate): User | null {
    return template.ownerId ? { id: template.ownerId } : null;
  }
}
