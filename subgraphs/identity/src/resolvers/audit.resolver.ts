import { connectionType, PageArgs, type SubgraphContext } from "@ods/kit";
import { GraphQLDateTime } from "graphql-scalars";
import { Args, ArgsType, Authorized, Ctx, Field, ID, InputType, ObjectType, Query, Resolver } from "type-graphql";
import { AuditCategory, AuditEvent, AuditOutcome } from "../entities/index.js";
import type { IdentityServices } from "../services/index.js";

@ObjectType()
export class AuditEventConnection extends connectionType(() => AuditEvent, "AuditEvent") {}

@InputType({ description: "Every field is optional; together they must all match" })
export class AuditEventFilter {
  @Field(() => String, { nullable: true, description: "Exact action, e.g. auth.login_failed" })
  action?: string | null;

  @Field(() => AuditCategory, { nullable: true })
  category?: AuditCategory | null;

  @Field(() => AuditOutcome, { nullable: true })
  outcome?: AuditOutcome | null;

  @Field(() => ID, { nullable: true })
  actorId?: string | null;

  @Field(() => String, { nullable: true, description: "e.g. User, ApiKey, DataSource, Dataset, Model, Workflow" })
  resourceType?: string | null;

  @Field(() => String, { nullable: true })
  resourceId?: string | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: "At or after this time" })
  since?: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: "Before this time" })
  until?: Date | null;
}

@ArgsType()
class AuditEventsArgs extends PageArgs {
  @Field(() => AuditEventFilter, { nullable: true })
  filter?: AuditEventFilter | null;
}

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Authorized("admin")
  @Query(() => AuditEventConnection, {
    description:
      "The audit log, newest first (admins). The same filters export as CSV from `GET /api/audit/events.csv`.",
  })
  async auditEvents(
    @Args(() => AuditEventsArgs) args: AuditEventsArgs,
    @Ctx() { em, services }: SubgraphContext<IdentityServices>,
  ): Promise<AuditEventConnection> {
    return services.audit.list(em, args.filter ?? {}, args);
  }
}
