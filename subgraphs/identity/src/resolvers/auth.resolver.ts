import type { SubgraphContext } from "@ods/kit";
import { GraphQLDateTime } from "graphql-scalars";
import { Arg, Ctx, Field, InputType, Mutation, ObjectType, Resolver } from "type-graphql";
import { User } from "../entities/index.js";
import type { IdentityServices } from "../services/index.js";

@ObjectType()
export class AuthPayload {
  @Field({ description: "A short-lived access token: send it as `Authorization: Bearer <token>`" })
  accessToken: string;

  @Field(() => GraphQLDateTime)
  expiresAt: Date;

  @Field(() => User)
  user: User;
}

@InputType()
export class CompleteSetupInput {
  @Field()
  token: string;

  @Field()
  email: string;

  @Field()
  name: string;

  @Field()
  password: string;
}

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: "Signs in with email and password. Browsers also get HttpOnly cookies." })
  async login(
    @Arg("email") email: string,
    @Arg("password") password: string,
    @Ctx() { em, services }: SubgraphContext<IdentityServices>,
  ): Promise<AuthPayload> {
    return services.users.login(em, email, password);
  }

  @Mutation(() => Boolean, {
    description: "Ends the browser session (the gateway clears the cookies). Access tokens expire on their own.",
  })
  logout(): boolean {
    return true;
  }

  @Mutation(() => AuthPayload, {
    description: "Creates the first admin with the one-time setup link that `npm start` printed.",
  })
  async completeSetup(
    @Arg("input", () => CompleteSetupInput) input: CompleteSetupInput,
    @Ctx() { em, services }: SubgraphContext<IdentityServices>,
  ): Promise<AuthPayload> {
    const user = await services.users.completeSetup(em, input.token, input);
    return { ...(await services.tokens.issue(user)), user };
  }
}
