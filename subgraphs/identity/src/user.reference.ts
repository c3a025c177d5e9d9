import type { SubgraphContext } from "@ods/kit";
import { User } from "./entities/index.js";
import type { IdentityServices } from "./services/index.js";

/** Resolves `User` references from other subgraphs (`owner: User`). Many references in one plan load in one query. */
export async function resolveUserReference(
  ref: { id: string },
  { em }: SubgraphContext<IdentityServices>,
): Promise<User | null> {
  return em.findOne(User, { id: ref.id });
}
