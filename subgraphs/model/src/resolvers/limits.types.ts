import { Field, Float, InputType, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "A model's limits over all its callers; null is unlimited" })
export class ModelLimits {
  @Field(() => Int, { nullable: true })
  requestsPerMinute: number | null;

  @Field(() => Float, { nullable: true, description: "Prompt + completion tokens per day" })
  tokensPerDay: number | null;
}

@InputType({ description: "Replaces both limits; a value left out or null is unlimited" })
export class ModelLimitsInput {
  @Field(() => Int, { nullable: true })
  requestsPerMinute?: number | null;

  @Field(() => Float, { nullable: true, description: "Prompt + completion tokens per day" })
  tokensPerDay?: number | null;
}
