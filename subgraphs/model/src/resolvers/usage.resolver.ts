import { requireUser, type SubgraphContext } from "@ods/kit";
import { GraphQLDateTime } from "graphql-scalars";
import {
  Arg,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  Float,
  ID,
  Int,
  ObjectType,
  Query,
  registerEnumType,
  Resolver,
  Root,
} from "type-graphql";
import { Model } from "../entities/index.js";
import type { ModelServices } from "../services/index.js";
import type { UsageGroup } from "../services/usage/index.js";
import { ModelLimits } from "./limits.types.js";
import { User } from "./model.resolver.js";

export enum UsageGroupBy {
  USER = "USER",
  MODEL = "MODEL",
  DAY = "DAY",
  API_KEY = "API_KEY",
}
registerEnumType(UsageGroupBy, { name: "UsageGroupBy", description: "A dimension of usageReport" });

@ObjectType({ description: "Totals and timings of model calls. Percentiles are null when no call measured them" })
export class ModelUsage {
  @Field(() => Int)
  requests: number;

  @Field(() => Float, { description: "Prompt tokens (Float: totals outgrow 32-bit integers)" })
  promptTokens: number;

  @Field(() => Float)
  completionTokens: number;

  @Field(() => Int, { description: "Calls that failed" })
  errors: number;

  @Field(() => Int, { description: "Calls the client abandoned" })
  cancelled: number;

  @Field(() => Float, { description: "In the currency of the models' prices" })
  cost: number;

  @Field(() => Int, { nullable: true })
  latencyP50Ms: number | null;

  @Field(() => Int, { nullable: true })
  latencyP95Ms: number | null;

  @Field(() => Int, { nullable: true })
  latencyP99Ms: number | null;

  @Field(() => Int, { nullable: true, description: "Time to first token, median" })
  ttftP50Ms: number | null;

  @Field(() => Int, { nullable: true })
  ttftP95Ms: number | null;
}

@ObjectType({ description: "One group of usageReport: the dimensions grouped by (others are null) and totals" })
export class UsageRow extends ModelUsage {
  @Field(() => String, { nullable: true, description: "UTC day, YYYY-MM-DD" })
  day: string | null;

  @Field(() => ID, { nullable: true })
  userId: string | null;

  @Field(() => User, { nullable: true })
  user: User | null;

  @Field(() => ID, { nullable: true })
  apiKeyId: string | null;

  @Field(() => ID, { nullable: true })
  modelId: string | null;

  @Field(() => String, { nullable: true, description: "The model's latest name in the period" })
  modelName: string | null;
}

@Resolver(() => Model)
export class UsageResolver {
  @Authorized()
  @Query(() => [UsageRow], {
    description: "Model calls grouped by the given dimensions; admins see everyone's, others their own",
  })
  async usageReport(
    @Arg("groupBy", () => [UsageGroupBy]) groupBy: UsageGroupBy[],
    @Arg("since", () => GraphQLDateTime, { nullable: true }) since: Date | null,
    @Arg("until", () => GraphQLDateTime, { nullable: true }) until: Date | null,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<UsageRow[]> {
    requireUser(caller);
    const groups = await services.usage.report(em, {
      groupBy,
      since,
      until,
      userId: caller.roles.includes("admin") ? null : caller.userId,
    });
    return groups.map(toRow);
  }

  @FieldResolver(() => ModelUsage, {
    description: "Calls of this model since `since` (all time when null); its owner and admins see every caller's",
  })
  async usage(
    @Root() model: Model,
    @Arg("since", () => GraphQLDateTime, { nullable: true }) since: Date | null,
    @Ctx() { em, caller, services }: SubgraphContext<ModelServices>,
  ): Promise<ModelUsage> {
    requireUser(caller);
    const everyone = caller.roles.includes("admin") || (model.ownerId != null && model.ownerId === caller.userId);
    return services.usage.modelUsage(em, model.id, { since, userId: everyone ? null : caller.userId });
  }

  @FieldResolver(() => ModelLimits)
  limits(@Root() model: Model): ModelLimits {
    return { requestsPerMinute: model.limitRequestsPerMinute ?? null, tokensPerDay: model.limitTokensPerDay ?? null };
  }
}

function toRow(group: UsageGroup): UsageRow {
  return { ...group, user: group.userId ? { id: group.userId } : null };
}
