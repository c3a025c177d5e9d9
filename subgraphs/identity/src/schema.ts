import type { SchemaOptions } from "@ods/kit";
import { AuthResolver } from "./resolvers/auth.resolver.js";
import { ApiKeyResolver } from "./resolvers/api-key.resolver.js";
import { AuditResolver } from "./resolvers/audit.resolver.js";
import { SessionResolver } from "./resolvers/session.resolver.js";
import { UserResolver } from "./resolvers/user.resolver.js";
import type { IdentityServices } from "./services/index.js";
import { resolveUserReference } from "./user.reference.js";

export { entities } from "./entities/index.js";

/** Everything the identity subgraph's schema is built from (also read by `npm run compose`). */
export const schemaOptions: SchemaOptions<IdentityServices> = {
  resolvers: [AuthResolver, UserResolver, ApiKeyResolver, SessionResolver, AuditResolver],
  references: { User: resolveUserReference },
};
