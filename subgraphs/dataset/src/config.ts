import { loadConfig, port } from "@ods/kit";
import { z } from "zod";

export const datasetEnv = {
  ODS_DATASET_PORT: port(4002),
  /** Largest upload `createUploadUrl` grants, in bytes (default 5 GiB). */
  ODS_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive("must be a positive number of bytes")
    .default(5 * 1024 ** 3),
};

export const loadDatasetConfig = (env?: Record<string, string | undefined>) => loadConfig(datasetEnv, env);
export type DatasetConfig = ReturnType<typeof loadDatasetConfig>;
