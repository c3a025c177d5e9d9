import type { ApiKeyService } from "./api-key-service.js";
import type { TokenService } from "./token-service.js";
import type { UserService } from "./user-service.js";

/** The identity subgraph's service layer, handed to resolvers through the context. */
export interface IdentityServices {
  users: UserService;
  tokens: TokenService;
  apiKeys: ApiKeyService;
}
