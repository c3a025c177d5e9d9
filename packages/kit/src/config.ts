import { z } from "zod";

/**
 * Settings every process shares. Each process extends this with its own fields through {@link loadConfig}.
 *
 * @remarks The defaults are the embedded profile: a fresh clone runs with no variable set at all.
 */
export const commonEnv = {
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Where SQLite files, the local object store and generated keys live. */
  ODS_DATA_DIR: z.string().min(1).default(".data"),
  ODS_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** `postgres://…` or `mysql://…`; unset means one SQLite file per subgraph under ODS_DATA_DIR. */
  ODS_DATABASE_URL: z
    .string()
    .regex(/^(postgres|postgresql|mysql|mariadb):\/\//, "must start with postgres://, mysql:// or mariadb://")
    .optional(),
  /** `redis://…`; unset means the in-process pub/sub. */
  ODS_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must start with redis:// or rediss://")
    .optional(),
  /** Shared secret that signs the gateway's internal tokens; at least 32 characters. */
  ODS_INTERNAL_SECRET: z.string().min(32, "must be at least 32 characters"),
  /** Base URL of the gateway as users reach it (used in links and upload URLs). */
  ODS_PUBLIC_URL: z.url().default("http://localhost:4000"),
  /** `http(s)://host:port` of an S3-compatible store (MinIO, AWS); unset means the local folder under ODS_DATA_DIR. */
  ODS_S3_ENDPOINT: z
    .url()
    .regex(/^https?:\/\//, "must start with http:// or https://")
    .optional(),
  ODS_S3_ACCESS_KEY: z.string().optional(),
  ODS_S3_SECRET_KEY: z.string().optional(),
  /** The bucket holding the platform's objects (S3 bucket names have at least 3 characters). */
  ODS_S3_BUCKET: z.string().min(3, "must be at least 3 characters").default("ods"),
  ODS_S3_REGION: z.string().min(1).default("us-east-1"),
};

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Raised when the environment does not describe a valid configuration; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parses the environment against the common settings plus `extra`, reporting every error at once.
 *
 * @example
 * const config = loadConfig({ ODS_IDENTITY_PORT: port(4001) });
 */
export function loadConfig<S extends z.ZodRawShape>(
  extra: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<typeof commonEnv & S>> {
  const schema = z.object({ ...commonEnv, ...extra });
  // Empty strings mean "unset": a `.env` line like `ODS_REDIS_URL=` should fall back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  return parsed.data as z.infer<z.ZodObject<typeof commonEnv & S>>;
}

export type CommonConfig = z.infer<z.ZodObject<typeof commonEnv>>;
