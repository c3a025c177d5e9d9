import type { Logger } from "@ods/kit";
import { ApiKeyService } from "./api-key-service.js";
import { AuditService, type AuditRetention } from "./audit-service.js";
import { LoginThrottleService, type ThrottlePolicy } from "./login-throttle.js";
import { SessionService, type SessionPolicy } from "./session-service.js";
import { TokenService } from "./token-service.js";
import { UserService } from "./user-service.js";

/** The identity subgraph's service layer, handed to resolvers through the context. */
export interface IdentityServices {
  users: UserService;
  tokens: TokenService;
  sessions: SessionService;
  throttle: LoginThrottleService;
  apiKeys: ApiKeyService;
  audit: AuditService;
}

export interface IdentityServiceOptions {
  /** Encrypts the signing keys' private halves at rest (the internal secret). */
  secret: string;
  accessTtlSeconds: number;
  session: SessionPolicy;
  throttle: ThrottlePolicy;
  logger: Logger;
  /** Audit retention; defaults to 90 days, 365 for security events. */
  audit?: AuditRetention;
}

/** Wires the services together (the tests build them the same way as `main.ts`). */
export function createIdentityServices(options: IdentityServiceOptions): IdentityServices {
  const tokens = new TokenService(options.secret, options.accessTtlSeconds);
  const sessions = new SessionService(tokens, options.session);
  const throttle = new LoginThrottleService(options.throttle);
  const audit = new AuditService(options.audit ?? { days: 90, securityDays: 365 }, options.logger);
  const users = new UserService(sessions, throttle, options.logger, audit);
  return { users, tokens, sessions, throttle, apiKeys: new ApiKeyService(), audit };
}
