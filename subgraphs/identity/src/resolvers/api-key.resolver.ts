import type { SubgraphContext } from "@ods/kit";
import { Arg, Authorized, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import { ApiKey } from "../entities/index.js";
import type { IdentityServices } from "../services/index.js";

@ObjectType()
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey: ApiKey;

  @Field({
    description: "The key itself: shown once, never stored in clear. Send it as `Authorization: Bearer <secret>`.",
  })
  secret: string;
}

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized()
  @Query(() => [ApiKey], { description: "The signed-in user's API keys (without their secrets)." })
  async apiKeys(@Ctx() { em, caller, services }: SubgraphContext<IdentityServices>): Promise<ApiKey[]> {
    return services.apiKeys.list(em, caller.userId!);
  }

  @Authorized()
  @Mutation(() => CreatedApiKey)
  async createApiKey(
    @Arg("name") name: string,
    @Arg("scopes", () => [String], { nullable: true }) scopes: string[] | undefined,
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<CreatedApiKey> {
    return services.apiKeys.create(em, caller.userId!, { name, scopes });
  }

  @Authorized()
  @Mutation(() => ApiKey)
  async revokeApiKey(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<ApiKey> {
    return services.apiKeys.revoke(em, caller, id);
  }
}
