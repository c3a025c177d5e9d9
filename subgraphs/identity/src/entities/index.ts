import { ApiKey } from "./api-key.js";
import { AuditEvent } from "./audit-event.js";
import { LoginThrottle } from "./login-throttle.js";
import { RefreshToken, Session } from "./session.js";
import { SetupToken } from "./setup-token.js";
import { SigningKey } from "./signing-key.js";
import { User } from "./user.js";

export { ApiKey, AuditEvent, LoginThrottle, RefreshToken, Session, SetupToken, SigningKey, User };
export { ApiKeyScope } from "./api-key.js";
export { AuditActorType, AuditCategory, AuditOutcome } from "./audit-event.js";
export { UserRole } from "./user.js";
export const entities = [User, ApiKey, SigningKey, SetupToken, Session, RefreshToken, LoginThrottle, AuditEvent];
