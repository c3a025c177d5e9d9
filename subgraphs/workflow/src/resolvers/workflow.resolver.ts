import {
  ResourceAccess,
  ResourceShareType,
  ShareInput,
  audited,
  connectionType,
  toResourceShare,
  type SubgraphContext,
} from "@ods/kit";
import { GraphQLJSON } from "graphql-scalars";
import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { Dataset, Execution, User, Workflow } from "../entities/index.js";
import { datasetIdsOf } from "../services/graph.js";
import type { WorkflowServices } from "../services/index.js";
import { loaders } from "./loaders.js";

@ObjectType()
export class WorkflowConnection extends connectionType(() => Workflow, "Workflow") {}

@ArgsType()
class WorkflowsArgs {
  @Field(() => Int, { nullable: true })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string;

  @Field(() => String, { nullable: true, description: "Matches the name, ignoring case." })
  search?: string;
}

@InputType()
export class CreateWorkflowInput {
  @Field()
  name: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: "`[{ id, type, name?, config, position? }]`; without nodes and edges: input → llm → output.",
  })
  nodes?: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: "`[{ id?, source, target }]`" })
  edges?: unknown;
}

@InputType()
export class UpdateWorkflowInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: "Replaces the nodes; the version rises by one." })
  nodes?: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: "Replaces the edges; the version rises by one." })
  edges?: unknown;
}

@Resolver(() => Workflow)
export class WorkflowResolver {
  @Authorized()
  @Query(() => WorkflowConnection, {
    description: "The signed-in user's workflows and those shared with them, most recently changed first.",
  })
  async workflows(
    @Args(() => WorkflowsArgs) args: WorkflowsArgs,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<WorkflowConnection> {
    return services.workflows.list(em, caller, args);
  }

  @Authorized()
  @Query(() => Workflow, { nullable: true })
  async workflow(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<Workflow> {
    return services.workflows.get(em, caller, id);
  }

  @Authorized()
  @Mutation(() => Workflow)
  async createWorkflow(
    @Arg("input", () => CreateWorkflowInput) input: CreateWorkflowInput,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<Workflow> {
    return services.workflows.create(em, caller, { ...input });
  }

  @Authorized()
  @Mutation(() => Workflow)
  async updateWorkflow(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateWorkflowInput) input: UpdateWorkflowInput,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<Workflow> {
    return audited(
      services.audit,
      {
        action: "workflow.updated",
        caller,
        resourceType: "Workflow",
        resourceId: id,
        details: { fields: Object.keys(input) },
      },
      () => services.workflows.update(em, caller, id, { ...input }),
    );
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Deletes the workflow with its executions; running ones are cancelled." })
  async deleteWorkflow(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<boolean> {
    return audited(
      services.audit,
      { action: "workflow.deleted", caller, resourceType: "Workflow", resourceId: id },
      () => services.workflows.delete(em, caller, id),
    );
  }

  @Authorized()
  @Mutation(() => ResourceShareType, {
    description:
      "Shares the workflow with a user (by id or email) or everyone with a role: VIEWER may open and run it, " +
      "EDITOR also change it. Sharing again with the same user or role changes the permission. Owners and admins.",
  })
  async shareWorkflow(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => ShareInput) input: ShareInput,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<ResourceShareType> {
    return toResourceShare(await services.workflows.share(em, caller, id, { ...input }));
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Ends one share of the workflow; false when it had no such share." })
  async unshareWorkflow(
    @Arg("id", () => ID) id: string,
    @Arg("shareId", () => ID) shareId: string,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<boolean> {
    return services.workflows.unshare(em, caller, id, shareId);
  }

  @FieldResolver(() => ResourceAccess, { description: "What the signed-in user may do with this workflow." })
  async access(@Root() workflow: Workflow, @Ctx() ctx: SubgraphContext<WorkflowServices>): Promise<ResourceAccess> {
    return loaders(ctx).access.load(workflow);
  }

  @FieldResolver(() => [ResourceShareType], {
    description: "Whom the workflow is shared with; empty unless the signed-in user owns it or is an admin.",
  })
  async shares(
    @Root() workflow: Workflow,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<ResourceShareType[]> {
    return (await services.workflows.shares(em, caller, workflow)).map(toResourceShare);
  }

  @FieldResolver(() => User)
  owner(@Root() workflow: Workflow): User {
    return { id: workflow.ownerId };
  }

  @FieldResolver(() => [Dataset], {
    description: "Lineage: the datasets the current graph's dataset nodes read (those named by a literal id).",
  })
  datasets(@Root() workflow: Workflow): Dataset[] {
    return datasetIdsOf(workflow.nodes).map((id) => ({ id }));
  }

  @FieldResolver(() => Execution, { nullable: true, description: "The newest execution." })
  async lastExecution(
    @Root() workflow: Workflow,
    @Ctx() ctx: SubgraphContext<WorkflowServices>,
  ): Promise<Execution | null> {
    return workflow.lastExecutionId ? loaders(ctx).execution.load(workflow.lastExecutionId) : null;
  }
}
