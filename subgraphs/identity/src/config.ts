import { loadConfig, port } from "@ods/kit";
import { z } from "zod";

export const identityEnv = {
  ODS_IDENTITY_PORT: port(4001),
  /** Lifetime of an access token in seconds (default 15 minutes). */
  ODS_ACCESS_TOKEN_TTL: z.coerce.number().int().min(30).max(86_400).default(900),
  ODS_ADMIN_EMAIL: z.email().optional(),
  ODS_ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
};

export const loadIdentityConfig = (env?: Record<string, string | undefined>) => loadConfig(identityEnv, env);
