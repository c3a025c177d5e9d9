import { auditEnv, loadConfig, port } from "@ods/kit";
import { z } from "zod";

export const modelEnv = {
  ODS_MODEL_PORT: port(4003),
  ...auditEnv,
  /** Encrypts model API keys at rest; falls back to ODS_INTERNAL_SECRET when unset. */
  ODS_SECRET_KEY: z.string().min(16, "must be at least 16 characters").optional(),
  /**
   * Keys that encrypted stored secrets before ODS_SECRET_KEY (comma-separated): they still decrypt, and every
   * stored secret is re-encrypted under ODS_SECRET_KEY at start, after which they can be removed.
   */
  ODS_SECRET_KEY_PREVIOUS: z.string().optional(),
  /** Pause between the built-in model's streamed words, in milliseconds (default 25). */
  ODS_BUILTIN_TOKEN_DELAY_MS: z.coerce.number().int().min(0).max(5_000).default(25),
  /** Deadline of an upstream model call, and the longest silence allowed inside a stream (default 120 s). */
  ODS_MODEL_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
  /** Deadline of `checkModel`'s call to the upstream's `GET /models` (default 5 s). */
  ODS_MODEL_CHECK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  /** Pause between health probes of every upstream endpoint, in milliseconds (default 30 s; 0 disables). */
  ODS_MODEL_PROBE_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  /** Deadline of one attempt at a streamed call: connecting and the first chunk (default 30 s), then failover. */
  ODS_MODEL_FIRST_TOKEN_TIMEOUT_MS: z.coerce.number().int().min(50).max(3_600_000).default(30_000),
  /** Consecutive failures of an endpoint that open its circuit breaker (default 5). */
  ODS_MODEL_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
  /** How long an open breaker skips its endpoint before one probe call may close it (default 30 s). */
  ODS_MODEL_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  /** Pause between polls of pending deployments' endpoints, in milliseconds (default 15 s; 0 disables). */
  ODS_DEPLOYMENT_POLL_MS: z.coerce.number().int().min(0).max(86_400_000).default(15_000),
  /** A deployment whose endpoint has not answered this long after its creation is FAILED (default 1 h; 0: never). */
  ODS_DEPLOYMENT_READY_TIMEOUT_MS: z.coerce.number().int().min(0).max(604_800_000).default(3_600_000),
  /** Requests per minute allowed to each user and to each API key (unset: unlimited). */
  ODS_LIMIT_USER_RPM: z.coerce.number().int().min(1, "must be at least 1").optional(),
  /** Prompt + completion tokens per day allowed to each user and to each API key (unset: unlimited). */
  ODS_LIMIT_USER_TOKENS_PER_DAY: z.coerce.number().int().min(1, "must be at least 1").optional(),
  /** How often buffered usage records are written, in milliseconds (default 1000). */
  ODS_USAGE_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).optional(),
};

export const loadModelConfig = (env?: Record<string, string | undefined>) => loadConfig(modelEnv, env);

export type ModelConfig = ReturnType<typeof loadModelConfig>;
