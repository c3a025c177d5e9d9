import type { EntityManager, EntityName, FilterQuery } from "@mikro-orm/core";
import { z } from "zod";
import type { AuditSink } from "../audit.js";
import type { Caller, Role } from "../auth.js";
import { badInput, forbidden, notFound, parseInput, unauthenticated } from "../errors.js";
import type { UserDirectory } from "../user-directory.js";
import { SharePermission, SharePrincipalType, type ResourceShareBase } from "./share-entity.js";

/** What the caller may do with a resource, weakest first. */
export enum ResourceAccess {
  /** Shared with them as viewer: see it and use it. */
  VIEWER = "VIEWER",
  /** Shared with them as editor: also change it. */
  EDITOR = "EDITOR",
  /** Theirs: also delete it and share it. */
  OWNER = "OWNER",
  /** An admin who does not own it: everything an owner may. */
  ADMIN = "ADMIN",
}

const RANK: Record<ResourceAccess, number> = { VIEWER: 1, EDITOR: 2, OWNER: 3, ADMIN: 3 };

/** True when `access` allows at least what `needed` does. */
export function allows(access: ResourceAccess | null | undefined, needed: ResourceAccess): boolean {
  return !!access && RANK[access] >= RANK[needed];
}

/** A resource that can be shared: it has an id and an owner. */
export interface OwnedResource {
  id: string;
  ownerId: string;
}

const ROLES = ["admin", "editor", "viewer"] as const;

/** A share as the API takes it: exactly one of `userId`, `email`, `role`, and the permission. */
export const shareInput = z
  .object({
    userId: z.string().trim().min(1).max(36).nullish(),
    email: z.string().trim().toLowerCase().email("must be an email address").max(320).nullish(),
    role: z
      .string()
      .nullish()
      .refine((r) => r === null || r === undefined || (ROLES as readonly string[]).includes(r), {
        message: "must be admin, editor or viewer",
      }),
    permission: z.enum(SharePermission),
  })
  .refine((v) => [v.userId, v.email, v.role].filter((x) => x !== null && x !== undefined).length === 1, {
    message: "give exactly one of userId, email or role",
    path: ["_"],
  });

const PERMISSION_ACCESS: Record<SharePermission, ResourceAccess> = {
  VIEWER: ResourceAccess.VIEWER,
  EDITOR: ResourceAccess.EDITOR,
};

/**
 * Who may see and change a subgraph's shareable resources: owners and admins everything, everyone else what a
 * share (to them, or to a role they have) grants. One instance per subgraph, over its own share entity.
 *
 * @remarks A resource the caller may not see answers NOT_FOUND, never FORBIDDEN, so ids cannot be probed; one they
 * may see but not change answers FORBIDDEN.
 */
export class SharingService<S extends ResourceShareBase> {
  constructor(
    private readonly entity: EntityName<S>,
    private readonly options: { directory: UserDirectory; audit: AuditSink },
  ) {}

  /** The shares that apply to `caller` for resources of `type` (to them, or to one of their roles). */
  private principalFilter(caller: Caller, resourceType: string): FilterQuery<S> {
    const or: object[] = [{ principalType: SharePrincipalType.USER, principalId: caller.userId }];
    if (caller.roles.length) or.push({ principalType: SharePrincipalType.ROLE, principalId: { $in: caller.roles } });
    return { resourceType, $or: or } as unknown as FilterQuery<S>;
  }

  /** Ids of the resources of `type` shared with the caller with at least `minimum`. */
  async sharedIds(
    em: EntityManager,
    caller: Caller,
    resourceType: string,
    minimum: ResourceAccess = ResourceAccess.VIEWER,
  ): Promise<string[]> {
    if (!caller.userId) return [];
    const where = this.principalFilter(caller, resourceType) as Record<string, unknown>;
    if (minimum === ResourceAccess.EDITOR) where.permission = SharePermission.EDITOR;
    else if (RANK[minimum] > RANK.EDITOR) return [];
    const rows = await em.find(this.entity, where as FilterQuery<S>, { fields: ["resourceId"] as never });
    return [...new Set(rows.map((r) => r.resourceId))];
  }

  /**
   * A filter on the resource's own table for what the caller may see: theirs, or shared with them. Admins are
   * not special here: lists show an admin's own and shared resources; they reach others' by id.
   */
  async visibleWhere(em: EntityManager, caller: Caller, resourceType: string): Promise<{ $or: object[] }> {
    if (!caller.userId) throw unauthenticated();
    const shared = await this.sharedIds(em, caller, resourceType);
    return { $or: [{ ownerId: caller.userId }, ...(shared.length ? [{ id: { $in: shared } }] : [])] };
  }

  /** Like {@link visibleWhere}, but admins reach everything: for looking one resource up by id. */
  async reachableWhere(em: EntityManager, caller: Caller, resourceType: string): Promise<{ $or?: object[] }> {
    if (caller.userId && caller.roles.includes("admin")) return {};
    return this.visibleWhere(em, caller, resourceType);
  }

  /** What the caller may do with each resource (null: nothing, not even see it), in the order given. */
  async accessOfMany(
    em: EntityManager,
    caller: Caller,
    resourceType: string,
    resources: readonly OwnedResource[],
  ): Promise<(ResourceAccess | null)[]> {
    const access: (ResourceAccess | null)[] = resources.map((r) => direct(caller, r));
    const open = resources.filter((_, i) => access[i] === null);
    if (open.length && caller.userId) {
      const where = this.principalFilter(caller, resourceType) as Record<string, unknown>;
      where.resourceId = { $in: open.map((r) => r.id) };
      const best = new Map<string, ResourceAccess>();
      for (const share of await em.find(this.entity, where as FilterQuery<S>)) {
        const granted = PERMISSION_ACCESS[share.permission];
        if (!allows(best.get(share.resourceId), granted)) best.set(share.resourceId, granted);
      }
      resources.forEach((r, i) => {
        if (access[i] === null) access[i] = best.get(r.id) ?? null;
      });
    }
    return access;
  }

  async accessOf(
    em: EntityManager,
    caller: Caller,
    resourceType: string,
    resource: OwnedResource,
  ): Promise<ResourceAccess | null> {
    return (await this.accessOfMany(em, caller, resourceType, [resource]))[0]!;
  }

  /**
   * What the caller may do with resources they have reached through {@link visibleWhere} or
   * {@link reachableWhere}: at least `VIEWER` (DataLoader batch for an `access` field).
   */
  async accessOfVisible(
    em: EntityManager,
    caller: Caller,
    resourceType: string,
    resources: readonly OwnedResource[],
  ): Promise<ResourceAccess[]> {
    return (await this.accessOfMany(em, caller, resourceType, resources)).map((a) => a ?? ResourceAccess.VIEWER);
  }

  /**
   * Checks that the caller may do what `needed` allows with `resource`: NOT_FOUND when they may not even see
   * it (or it is null), FORBIDDEN when they may see it but not this. Returns their access.
   *
   * @param id - the id the caller asked for, named in NOT_FOUND
   * @param what - what NOT_FOUND calls it (`resourceType` by default): a document of a knowledge base the caller
   * may not see is "Document <id> was not found", which does not reveal the knowledge base.
   */
  async require<R extends OwnedResource>(
    em: EntityManager,
    caller: Caller,
    resourceType: string,
    resource: R | null | undefined,
    needed: ResourceAccess,
    id: string,
    what = resourceType,
  ): Promise<ResourceAccess> {
    if (!caller.userId) throw unauthenticated();
    const access = resource ? await this.accessOf(em, caller, resourceType, resource) : null;
    if (!access) throw notFound(what, id);
    if (!allows(access, needed)) {
      const verb = needed === ResourceAccess.EDITOR ? "change" : "delete or share";
      throw forbidden(`This ${resourceType} is shared with you as ${access.toLowerCase()}: you may not ${verb} it`);
    }
    return access;
  }

  /** The shares of a resource as `caller` may see them: all of them for its owner and admins, none for others. */
  async sharesFor(em: EntityManager, caller: Caller, resourceType: string, resource: OwnedResource): Promise<S[]> {
    const access = await this.accessOf(em, caller, resourceType, resource);
    if (access !== ResourceAccess.OWNER && access !== ResourceAccess.ADMIN) return [];
    return this.list(em, resourceType, resource.id);
  }

  /** The shares of one resource, oldest first. */
  async list(em: EntityManager, resourceType: string, resourceId: string): Promise<S[]> {
    return em.find(this.entity, { resourceType, resourceId } as FilterQuery<S>, {
      orderBy: { createdAt: "asc", id: "asc" } as never,
    });
  }

  /**
   * Shares `resource` with a user (by id or email) or a role; sharing again with the same principal changes the
   * permission. Owners and admins only. A user who does not exist is BAD_USER_INPUT.
   */
  async grant(
    em: EntityManager,
    caller: Caller,
    resourceType: string,
    resource: OwnedResource,
    input: z.input<typeof shareInput>,
  ): Promise<S> {
    await this.require(em, caller, resourceType, resource, ResourceAccess.OWNER, resource.id);
    const data = parseInput(shareInput, input);
    let principalType = SharePrincipalType.ROLE;
    let principalId = data.role as Role | string | undefined;
    let principalEmail: string | null = null;
    if (!data.role) {
      const [user] = await this.options.directory.lookup(
        data.userId ? { ids: [data.userId] } : { emails: [data.email!] },
      );
      const named = data.userId ? `id ${data.userId}` : `email ${data.email}`;
      if (!user) throw badInput(`There is no user with ${named}`, { [data.userId ? "userId" : "email"]: "unknown" });
      if (user.disabled) throw badInput(`The user with ${named} is disabled`);
      if (user.id === resource.ownerId) throw badInput("The owner already has full access");
      principalType = SharePrincipalType.USER;
      principalId = user.id;
      principalEmail = user.email;
    }
    const key = { resourceType, resourceId: resource.id, principalType, principalId } as FilterQuery<S>;
    let share = (await em.findOne(this.entity, key)) as S | null;
    if (share) share.permission = data.permission;
    else {
      share = em.create(this.entity, {
        ...(key as object),
        principalEmail,
        permission: data.permission,
        createdById: caller.userId!,
      } as never);
    }
    await em.flush();
    this.options.audit.record({
      action: "share.granted",
      caller,
      resourceType,
      resourceId: resource.id,
      details: { principalType, principalId, permission: data.permission },
    });
    return share;
  }

  /** Ends one share of `resource`; false when it had no such share. Owners and admins only. */
  async revoke(
    em: EntityManager,
    caller: Caller,
    resourceType: string,
    resource: OwnedResource,
    shareId: string,
  ): Promise<boolean> {
    await this.require(em, caller, resourceType, resource, ResourceAccess.OWNER, resource.id);
    const share = await em.findOne(this.entity, {
      id: shareId,
      resourceType,
      resourceId: resource.id,
    } as FilterQuery<S>);
    if (!share) return false;
    await em.remove(share).flush();
    this.options.audit.record({
      action: "share.revoked",
      caller,
      resourceType,
      resourceId: resource.id,
      details: { principalType: share.principalType, principalId: share.principalId },
    });
    return true;
  }

  /** Drops every share of a resource that is being deleted (inside the caller's transaction). */
  async removeAll(em: EntityManager, resourceType: string, resourceId: string): Promise<void> {
    await em.nativeDelete(this.entity, { resourceType, resourceId } as FilterQuery<S>);
  }
}

/**
 * A scope from {@link SharingService.visibleWhere} or {@link SharingService.reachableWhere} as a condition on the
 * relation at `path` (e.g. `"document.knowledgeBase"` for chunks), added to `where`. An admin's scope is empty, and
 * an empty condition on a relation is left out rather than written as one.
 */
export function whereThrough<W extends object>(where: W, path: string, scope: object): W {
  if (Object.keys(scope).length === 0) return where;
  const nested = path
    .split(".")
    .reverse()
    .reduce<object>((inner, key) => ({ [key]: inner }), scope);
  return { ...where, ...nested };
}

/** Access that needs no share: owners and admins. */
function direct(caller: Caller, resource: OwnedResource): ResourceAccess | null {
  if (caller.userId && resource.ownerId === caller.userId) return ResourceAccess.OWNER;
  if (caller.roles.includes("admin")) return ResourceAccess.ADMIN;
  return null;
}
