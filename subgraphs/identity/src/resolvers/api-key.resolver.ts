import { audited, type SubgraphContext } from "@ods/kit";
import { GraphQLDateTime } from "graphql-scalars";
import { Arg, Authorized, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import { ApiKey, ApiKeyScope } from "../entities/index.js";
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
  @Query(() => [ApiKey], {
    description:
      "API keys (without their secrets): the signed-in user's; admins may name `userId` or ask for `allUsers`.",
  })
  async apiKeys(
    @Arg("userId", () => ID, { nullable: true }) userId: string | undefined,
    @Arg("allUsers", () => Boolean, { nullable: true, defaultValue: false }) allUsers: boolean,
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<ApiKey[]> {
    return services.apiKeys.list(em, caller, { userId, allUsers });
  }

  @Authorized()
  @Mutation(() => CreatedApiKey, {
    description:
      "Creates an API key for the signed-in user. `scopes` default to [READ, WRITE]; no `expiresAt`: no expiry.",
  })
  async createApiKey(
    @Arg("name") name: string,
    @Arg("scopes", () => [ApiKeyScope], { nullable: true }) scopes: ApiKeyScope[] | undefined,
    @Arg("expiresAt", () => GraphQLDateTime, { nullable: true }) expiresAt: Date | undefined,
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<CreatedApiKey> {
    const audit = { action: "apikey.created", caller, resourceType: "ApiKey", details: { name, scopes, expiresAt } };
    return audited(
      services.audit,
      audit,
      () => services.apiKeys.create(em, caller.userId!, { name, scopes, expiresAt }),
      (k) => ({ resourceId: k.apiKey.id, details: { prefix: k.apiKey.prefix, scopes: k.apiKey.scopes } }),
    );
  }

  @Authorized()
  @Mutation(() => ApiKey, { description: "Revokes a key: one's own, or anyone's for admins." })
  async revokeApiKey(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<ApiKey> {
    const audit = { action: "apikey.revoked", caller, resourceType: "ApiKey", resourceId: id };
    return audited(services.audit, audit, () => services.apiKeys.revoke(em, caller, id));
  }
}
