import { audited, type SubgraphContext } from "@ods/kit";
import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import { Session } from "../entities/index.js";
import type { IdentityServices } from "../services/index.js";

@Resolver(() => Session)
export class SessionResolver {
  @Authorized()
  @Query(() => [Session], {
    description:
      "Live sessions of the signed-in user, or (admins) of `userId`; `includeEnded` adds revoked and expired ones.",
  })
  async sessions(
    @Arg("userId", () => ID, { nullable: true }) userId: string | undefined,
    @Arg("includeEnded", () => Boolean, { nullable: true, defaultValue: false }) includeEnded: boolean,
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<Session[]> {
    return services.sessions.list(em, caller, userId, includeEnded);
  }

  @Authorized()
  @Mutation(() => Session, { description: "Ends a session: one's own, or anyone's for admins." })
  async revokeSession(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<Session> {
    const audit = { action: "session.revoked", caller, resourceType: "Session", resourceId: id };
    return audited(services.audit, audit, () => services.sessions.revoke(em, caller, id));
  }
}
