import { GraphQLDateTime } from "graphql-scalars";
import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { SharePermission, SharePrincipalType, type ResourceShareBase } from "./share-entity.js";
import { ResourceAccess } from "./sharing-service.js";

registerEnumType(SharePermission, {
  name: "SharePermission",
  description: "What a share allows: see and use (VIEWER) or also change (EDITOR)",
});
registerEnumType(SharePrincipalType, { name: "SharePrincipalType", description: "A share to one user or to a role" });
registerEnumType(ResourceAccess, {
  name: "ResourceAccess",
  description: "What the caller may do with a resource: VIEWER, EDITOR, OWNER, or ADMIN (an admin who does not own it)",
});

/** One share of a resource with a user or a role. Every subgraph with shareable resources declares it. */
@ObjectType("ResourceShare", { description: "A resource shared with a user or with everyone who has a role" })
@Directive("@shareable")
export class ResourceShareType {
  @Field(() => ID)
  id: string;

  @Field(() => SharePrincipalType)
  principalType: SharePrincipalType;

  @Field(() => ID, { nullable: true, description: "The user it is shared with (USER shares)" })
  userId?: string | null;

  @Field(() => String, { nullable: true, description: "That user's email when it was shared" })
  email?: string | null;

  @Field(() => String, { nullable: true, description: "The role it is shared with (ROLE shares)" })
  role?: string | null;

  @Field(() => SharePermission)
  permission: SharePermission;

  @Field(() => GraphQLDateTime)
  createdAt: Date;
}

/** The GraphQL form of a stored share. */
export function toResourceShare(share: ResourceShareBase): ResourceShareType {
  const user = share.principalType === SharePrincipalType.USER;
  return {
    id: share.id,
    principalType: share.principalType,
    userId: user ? share.principalId : null,
    email: user ? (share.principalEmail ?? null) : null,
    role: user ? null : share.principalId,
    permission: share.permission,
    createdAt: share.createdAt,
  };
}

@InputType({ description: "Whom to share with (exactly one of userId, email, role) and how" })
export class ShareInput {
  @Field(() => ID, { nullable: true })
  userId?: string | null;

  @Field(() => String, { nullable: true, description: "The email of a user of this platform" })
  email?: string | null;

  @Field(() => String, { nullable: true, description: "admin, editor or viewer: everyone with that role" })
  role?: string | null;

  @Field(() => SharePermission)
  permission: SharePermission;
}
