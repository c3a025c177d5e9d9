import { loadConfig, port } from "@ods/kit";
import { z } from "zod";

export const modelEnv = {
  ODS_MODEL_PORT: port(4003),
  /** Encrypts model API keys at rest; falls back to ODS_INTERNAL_SECRET when unset. */
  ODS_SECRET_KEY: z.string().min(16, "must be at least 16 characters").optional(),
  /** Pause between the built-in model's streamed words, in milliseconds (default 25). */
  ODS_BUILTIN_TOKEN_DELAY_MS: z.coerce.number().int().min(0).max(5_000).default(25),
  /** Deadline of an upstream model call, and the longest silence allowed inside a stream (default 120 s). */
  ODS_MODEL_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
  /** Deadline of `checkModel`'s call to the upstream's `GET /models` (default 5 s). */
  ODS_MODEL_CHECK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
};

export const loadModelConfig = (env?: Record<string, string | undefined>) => loadConfig(modelEnv, env);

export type ModelConfig = ReturnType<typeof loadModelConfig>;
