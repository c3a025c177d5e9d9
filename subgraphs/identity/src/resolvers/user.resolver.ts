import { audited, pageWindow, toPage, type SubgraphContext } from "@ods/kit";
import {
  Arg,
  Args,
  ID,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  InputType,
  Mutation,
  ObjectType,
  Query,
  Resolver,
} from "type-graphql";
import { connectionType, PageArgs } from "@ods/kit";
import { User, UserRole } from "../entities/index.js";
import type { IdentityServices } from "../services/index.js";

@ObjectType()
export class UserConnection extends connectionType(() => User, "User") {}

@ArgsType()
class UsersArgs extends PageArgs {
  @Field(() => String, { nullable: true })
  search?: string;
}

@InputType()
export class CreateUserInput {
  @Field()
  email: string;

  @Field()
  name: string;

  @Field()
  password: string;

  @Field(() => [UserRole], { nullable: true, description: "Defaults to [viewer]" })
  roles?: UserRole[];
}

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: "The signed-in user; null when the request carries no token." })
  async me(@Ctx() { em, caller }: SubgraphContext<IdentityServices>): Promise<User | null> {
    if (!caller.userId) return null;
    return em.findOne(User, { id: caller.userId });
  }

  @Authorized("admin")
  @Query(() => UserConnection)
  async users(
    @Args(() => UsersArgs) args: UsersArgs,
    @Ctx() { em }: SubgraphContext<IdentityServices>,
  ): Promise<UserConnection> {
    const { offset, limit } = pageWindow(args);
    const where = args.search
      ? { $or: [{ email: { $like: `%${args.search.toLowerCase()}%` } }, { name: { $like: `%${args.search}%` } }] }
      : {};
    const [rows, total] = await em.findAndCount(User, where, {
      orderBy: { createdAt: "asc", id: "asc" },
      offset,
      limit,
    });
    return toPage(rows, offset, total);
  }

  @Authorized("admin")
  @Mutation(() => User)
  async createUser(
    @Arg("input", () => CreateUserInput) input: CreateUserInput,
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<User> {
    const audit = { action: "user.created", caller, resourceType: "User", details: { email: input.email } };
    return audited(
      services.audit,
      audit,
      () => services.users.create(em, { ...input, roles: input.roles ?? undefined }),
      (u) => ({ resourceId: u.id, details: { roles: u.roles } }),
    );
  }

  @Authorized("admin")
  @Mutation(() => User, {
    description: "Disables a user (admins): their sessions end, their API keys and access tokens stop working.",
  })
  async disableUser(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<User> {
    const audit = { action: "user.disabled", caller, resourceType: "User", resourceId: id };
    return audited(services.audit, audit, () => services.users.setDisabled(em, caller, id, true));
  }

  @Authorized("admin")
  @Mutation(() => User, { description: "Lets a disabled user sign in again (admins)." })
  async enableUser(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<User> {
    const audit = { action: "user.enabled", caller, resourceType: "User", resourceId: id };
    return audited(services.audit, audit, () => services.users.setDisabled(em, caller, id, false));
  }

  @Authorized("admin")
  @Mutation(() => User, {
    description:
      "Replaces a user's roles (admins); they apply from the user's next token refresh. Single sign-on users get " +
      "their roles from the provider at each sign-in.",
  })
  async setUserRoles(
    @Arg("id", () => ID) id: string,
    @Arg("roles", () => [UserRole]) roles: UserRole[],
    @Ctx() { em, caller, services }: SubgraphContext<IdentityServices>,
  ): Promise<User> {
    const audit = { action: "user.roles_changed", caller, resourceType: "User", resourceId: id, details: { roles } };
    return audited(services.audit, audit, () => services.users.setRoles(em, caller, id, roles));
  }
}
