import { ApiKey } from "./api-key.js";
import { SetupToken } from "./setup-token.js";
import { SigningKey } from "./signing-key.js";
import { User } from "./user.js";

export { ApiKey, SetupToken, SigningKey, User };
export { UserRole } from "./user.js";
export const entities = [User, ApiKey, SigningKey, SetupToken];
