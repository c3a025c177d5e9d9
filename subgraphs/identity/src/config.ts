import { loadConfig, port } from "@ods/kit";
import { z } from "zod";

const seconds = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const identityEnv = {
  ODS_IDENTITY_PORT: port(4001),
  /** Lifetime of an access token in seconds (default 15 minutes). */
  ODS_ACCESS_TOKEN_TTL: seconds(30, 86_400, 900),
  /** Lifetime of a refresh token in seconds (default 7 days); each refresh starts the count again. */
  ODS_REFRESH_TOKEN_TTL: seconds(300, 90 * 86_400, 7 * 86_400),
  /**
   * Seconds after a refresh during which the refresh token just retired may be presented again without counting
   * as reuse (default 10): a browser's parallel requests can race to refresh with the same cookie. Within the
   * window it yields an access token only; after it, the whole session is revoked.
   */
  ODS_REFRESH_REUSE_GRACE: seconds(0, 300, 10),
  /** Failed sign-ins for one account before it is locked (default 5). */
  ODS_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  /** Failed sign-ins from one client address before it is locked (default 20). */
  ODS_LOGIN_IP_MAX_FAILURES: z.coerce.number().int().min(1).max(100_000).default(20),
  /** The first lock in seconds (default 30); each further failure while over the limit doubles it. */
  ODS_LOGIN_LOCKOUT_BASE: seconds(1, 86_400, 30),
  /** The longest lock in seconds (default 15 minutes); failures older than this are forgotten. */
  ODS_LOGIN_LOCKOUT_MAX: seconds(1, 7 * 86_400, 900),
  /** Days the audit log keeps data, model and workflow events (default 90); the retention job deletes older ones. */
  ODS_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(90),
  /** Days the audit log keeps security events: sign-ins, users, roles, keys, sessions (default 365). */
  ODS_AUDIT_SECURITY_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
  ODS_ADMIN_EMAIL: z.email().optional(),
  ODS_ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
};

export type IdentityConfig = ReturnType<typeof loadIdentityConfig>;
export const loadIdentityConfig = (env?: Record<string, string | undefined>) => loadConfig(identityEnv, env);
