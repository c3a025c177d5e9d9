import type { SubgraphContext } from "@ods/kit";
import { GraphQLJSON } from "graphql-scalars";
import {
  Arg,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Int,
  ObjectType,
  Resolver,
  Root,
  Subscription,
  registerEnumType,
  type SubscribeResolverData,
} from "type-graphql";
import { Execution } from "../entities/index.js";
import { ExecutionEventType, type ExecutionEventPayload } from "../services/events.js";
import type { WorkflowServices } from "../services/index.js";

registerEnumType(ExecutionEventType, { name: "ExecutionEventType" });

@ObjectType({ description: "One step of an execution; `seq` rises by one per event, from 1." })
export class ExecutionEvent {
  @Field(() => Int)
  seq: number;

  @Field(() => ExecutionEventType)
  type: ExecutionEventType;

  @Field(() => String, { nullable: true, description: "The node, for node events." })
  nodeId?: string | null;

  @Field(() => String, { nullable: true })
  nodeType?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "A NodeRunStatus for node events, an ExecutionStatus for EXECUTION_FINISHED.",
  })
  status?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: "NODE_OUTPUT: the output so far; NODE_FINISHED: the node's output; EXECUTION_FINISHED: the outputs.",
  })
  output?: unknown;

  @Field(() => String, { nullable: true })
  error?: string | null;

  executionId: string;
}

interface EventArgs {
  executionId: string;
  afterSeq?: number | null;
}

@Resolver(() => ExecutionEvent)
export class ExecutionEventResolver {
  @Authorized()
  @Subscription(() => ExecutionEvent, {
    description: "Node started / output / finished and execution finished, in order; afterSeq resumes.",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, EventArgs, SubgraphContext<WorkflowServices>>) =>
      context.services.executions.follow(context.em, context.caller, args.executionId, args.afterSeq ?? 0),
  })
  executionEvents(
    @Root() event: ExecutionEventPayload,
    @Arg("executionId", () => ID) _executionId: string,
    @Arg("afterSeq", () => Int, { nullable: true, description: "The last seq already seen." }) _afterSeq?: number,
  ): ExecutionEvent {
    return {
      seq: event.seq,
      type: event.type,
      nodeId: event.nodeId ?? null,
      nodeType: event.nodeType ?? null,
      status: event.status ?? null,
      output: event.output ?? null,
      error: event.error ?? null,
      executionId: event.executionId,
    };
  }

  @FieldResolver(() => Execution, { description: "The execution as stored when this event is delivered." })
  async execution(
    @Root() event: ExecutionEvent,
    @Ctx() { em, caller, services }: SubgraphContext<WorkflowServices>,
  ): Promise<Execution> {
    // A subscription's context (and its unit of work) lives as long as the subscription: read the row afresh.
    return services.executions.get(em.fork(), caller, event.executionId);
  }
}
