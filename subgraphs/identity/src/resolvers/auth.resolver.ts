import { audited, type SubgraphContext } from "@ods/kit";
import { GraphQLDateTime } from "graphql-scalars";
import { Arg, Authorized, Ctx, Field, ID, InputType, Mutation, ObjectType, Resolver } from "type-graphql";
import { User } from "../entities/index.js";
import type { IdentityServices } from "../services/index.js";
import type { SessionTokens } from "../services/session-service.js";

@ObjectType()
export class AuthPayload {
  @Field({ description: "A short-lived access token: send it as `Authorization: Bearer <token>`" })
  accessToken: string;

  @Field(() => GraphQLDateTime)
  expiresAt: Date;

  @Field(() => String, {
    nullable: true,
    description:
      "For programs: trade it for a new pair with `refreshSession` or `POST /auth/token`; each works once. " +
      "Browsers get it as an HttpOnly cookie from `POST /auth/login` instead.",
  })
  refreshToken?: string;

  @Field(() => GraphQLDateTime, { nullable: true })
  refreshExpiresAt?: Date;

  @Field(() => ID, { description: "The session this sign-in started (see `sessions`, `revokeSession`)." })
  sessionId: string;

  @Field(() => User)
  user: User;
}

@ObjectType()
export class SigningKeyInfo {
  @Field(() => ID, { description: "The key id (`kid`) new access tokens carry." })
  kid: string;

  @Field(() => GraphQLDateTime)
  createdAt: Date;
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

const payload = (tokens: SessionTokens): AuthPayload => tokens;

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, {
    description:
      "Signs in with email and password and starts a session. Browsers also get HttpOnly cookies. Repeated " +
      "failures lock the account (and address) with growing delays: RATE_LIMITED with `extensions.retryAfter`.",
  })
  async login(
    @Arg("email") email: string,
    @Arg("password") password: string,
    @Ctx() { em, services, client }: SubgraphContext<IdentityServices>,
  ): Promise<AuthPayload> {
    return payload(await services.users.login(em, email, password, client));
  }

  @Mutation(() => AuthPayload, {
    description:
      "Trades a refresh token for a new access token and refresh token; the old refresh token stops working. " +
      "Presenting a used one again ends the whole session.",
  })
  async refreshSession(
    @Arg("refreshToken") refreshToken: string,
    @Ctx() { em, services }: SubgraphContext<IdentityServices>,
  ): Promise<AuthPayload> {
    return payload(await services.sessions.refresh(em, refreshToken));
  }

  @Mutation(() => Boolean, {
    description:
      "Signs out: the session of `refreshToken` (this one), or with `everywhere: true` every session of the " +
      "signed-in user. Their access tokens stop working at the gateway within seconds. The gateway's " +
      "`POST /auth/logout` also clears the browser's cookies.",
  })
  async logout(
    @Arg("refreshToken", () => String, { nullable: true }) refreshToken: string | undefined,
    @Arg("everywhere", () => Boolean, { nullable: true, defaultValue: false }) everywhere: boolean,
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<boolean> {
    if (refreshToken) await services.sessions.logout(em, refreshToken);
    const ended = everywhere && caller.userId ? await services.sessions.logoutEverywhere(em, caller.userId) : 0;
    if (refreshToken || ended) services.audit.record({ action: "auth.logout", caller, details: { everywhere, ended } });
    return true;
  }

  @Authorized("admin")
  @Mutation(() => SigningKeyInfo, {
    description:
      "Makes a new key sign access tokens (admins). Tokens signed by the previous keys keep verifying until " +
      "they expire, so nobody is signed out.",
  })
  async rotateSigningKey(@Ctx() { em, caller, services }: SubgraphContext<IdentityServices>): Promise<SigningKeyInfo> {
    const audit = { action: "signingkey.rotated", caller, resourceType: "SigningKey" };
    return audited(
      services.audit,
      audit,
      () => services.tokens.rotate(em),
      (k) => ({ resourceId: k.kid }),
    );
  }

  @Mutation(() => AuthPayload, {
    description: "Creates the first admin with the one-time setup link that `npm start` printed.",
  })
  async completeSetup(
    @Arg("input", () => CompleteSetupInput) input: CompleteSetupInput,
    @Ctx() { em, services }: SubgraphContext<IdentityServices>,
  ): Promise<AuthPayload> {
    const setup = { action: "user.created", resourceType: "User", details: { email: input.email, via: "setup" } };
    const user = await audited(
      services.audit,
      setup,
      () => services.users.completeSetup(em, input.token, input),
      (u) => ({ resourceId: u.id, actorId: u.id }),
    );
    return payload(await services.sessions.start(em, user, { method: "setup" }));
  }
}
