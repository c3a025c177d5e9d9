import { auditEnv, loadConfig, port } from "@ods/kit";
import { z } from "zod";

export const datasetEnv = {
  ODS_DATASET_PORT: port(4002),
  ...auditEnv,
  /** Largest upload `createUploadUrl` grants, in bytes (default 5 GiB). */
  ODS_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive("must be a positive number of bytes")
    .default(5 * 1024 ** 3),
  /**
   * Key that encrypts data source credentials at rest (at least 32 characters); unset means ODS_INTERNAL_SECRET.
   * Changing it makes stored credentials unreadable: re-register the sources.
   */
  ODS_SECRET_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  /**
   * Keys that encrypted stored secrets before ODS_SECRET_KEY (comma-separated): they still decrypt, and every
   * stored secret is re-encrypted under ODS_SECRET_KEY at start, after which they can be removed.
   */
  ODS_SECRET_KEY_PREVIOUS: z.string().optional(),
  /** Base URL of the model subgraph, whose OpenAI-compatible `/v1` Text-to-SQL (`askData`) calls. */
  ODS_MODEL_URL: z.url().default("http://127.0.0.1:4003"),
  /** The chat model (name or id) that writes SQL when a question names none. */
  ODS_TEXT_TO_SQL_MODEL: z.string().min(1).default("builtin-offline"),
};

export const loadDatasetConfig = (env?: Record<string, string | undefined>) => loadConfig(datasetEnv, env);
export type DatasetConfig = ReturnType<typeof loadDatasetConfig>;
