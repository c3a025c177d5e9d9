import { audited, type SubgraphContext, connectionType } from "@ods/kit";
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
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { Execution, ExecutionStatus, NodeRun, Workflow } from "../entities/index.js";
import type { WorkflowServices } from "../services/index.js";
import { loaders } from "./loaders.js";

@ObjectType()
export class ExecutionConnection extends connectionType(() => Execution, "Execution") {}

@ArgsType()
class ExecutionsArgs {
  @Field(() => ID, { nullable: true, description: "Only this workflow's executions." })
  workflowId?: string;

  @Field(() => ExecutionStatus, { nullable: true })
  status?: ExecutionStatus;

  @Field(() => Int, { nullable: true })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string;
}

@Resolver(() => Execution)
export class ExecutionResolver {
  @Authorized()
  @Mutation(() => Execution, {
    description: "Starts a run and returns at once (PENDING or RUNNING); follow it with executionEvents.",
  })
  async runWorkflow(
    @Arg("id", () => ID) id: string,
    @Arg("inputs", () => GraphQLJSON, { nullable: true }) inputs: unknown,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<Execution> {
    return audited(
      services.audit,
      { action: "workflow.run", caller, resourceType: "Workflow", resourceId: id },
      () => services.executions.run(em, caller, id, inputs),
      (e) => ({ details: { executionId: e.id } }),
    );
  }

  @Authorized()
  @Mutation(() => Execution, { description: "Stops a running execution; it ends CANCELLED." })
  async cancelExecution(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<Execution> {
    return services.executions.cancel(em, caller, id);
  }

  @Authorized()
  @Query(() => Execution, { nullable: true })
  async execution(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<Execution> {
    return services.executions.get(em, caller, id);
  }

  @Authorized()
  @Query(() => ExecutionConnection, { description: "The signed-in user's executions, newest first." })
  async executions(
    @Args(() => ExecutionsArgs) args: ExecutionsArgs,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<ExecutionConnection> {
    return services.executions.list(em, caller, args);
  }

  @FieldResolver(() => Workflow)
  async workflow(@Root() execution: Execution, @Ctx() ctx: SubgraphContext<WorkflowServices>): Promise<Workflow> {
    return (await loaders(ctx).workflow.load(execution.workflow.id))!;
  }

  @FieldResolver(() => [NodeRun], { description: "What each node did, in run order." })
  async nodeRuns(@Root() execution: Execution, @Ctx() ctx: SubgraphContext<WorkflowServices>): Promise<NodeRun[]> {
    return loaders(ctx).nodeRuns.load(execution.id);
  }
}
