import { auditEnv, ConfigError, loadConfig, port } from "@ods/kit";
import { z } from "zod";

export const conversationEnv = {
  ODS_CONVERSATION_PORT: port(4004),
  // The identity subgraph: whom knowledge bases are shared with, and where sharing changes are recorded.
  ...auditEnv,
  /** Base URL of the model subgraph, whose OpenAI-compatible `/v1` API every generation goes through. */
  ODS_MODEL_URL: z.url().default("http://127.0.0.1:4003"),
  /** Base URL of the dataset subgraph, from which knowledge bases read a dataset's rows. */
  ODS_DATASET_URL: z.url().default("http://127.0.0.1:4002"),
  /** The embedding model a new knowledge base uses when none is chosen: the built-in offline embedder. */
  ODS_DEFAULT_EMBEDDING_MODEL: z.string().min(1).max(200).default("builtin-embedder"),
  /** Where knowledge-base vectors live: `embedded` (an on-disk HNSW index under ODS_DATA_DIR) or `milvus`. */
  ODS_VECTOR_STORE: z.enum(["embedded", "milvus"]).default("embedded"),
  /** `host:port` of Milvus (its gRPC port, usually 19530); required when ODS_VECTOR_STORE=milvus. */
  ODS_MILVUS_ADDRESS: z.string().min(1).optional(),
  /** Milvus token (`user:password` or an API key), when the server asks for one. */
  ODS_MILVUS_TOKEN: z.string().min(1).optional(),
  /** How many documents one process ingests at a time. */
  ODS_INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  /** Chunks per embeddings request while ingesting. */
  ODS_EMBED_BATCH_SIZE: z.coerce.number().int().min(1).max(2048).default(64),
  /** The model a new conversation uses when none is chosen: the built-in offline model. */
  ODS_DEFAULT_CHAT_MODEL: z.string().min(1).max(200).default("builtin-offline"),
  /** Approximate token budget of a prompt (system prompt + history + new message + reserved reply). */
  ODS_CONTEXT_TOKENS: z.coerce.number().int().min(256).max(2_000_000).default(6000),
  /** Deltas are gathered for this long before they become one stream event (ms). */
  ODS_STREAM_BATCH_MS: z.coerce.number().int().min(1).max(5_000).default(40),
  /** A live `messageStream` subscriber that was sent nothing for this long gets a `MessageHeartbeat` (ms). */
  ODS_STREAM_HEARTBEAT_MS: z.coerce.number().int().min(50).max(600_000).default(15_000),
  /** How long a finished message's event log stays replayable (s). */
  ODS_STREAM_RETENTION_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  /** A reply fails ("the model stopped sending") when no chunk of the model's stream arrives for this long (ms). */
  ODS_MODEL_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
};

export const loadConversationConfig = (env?: Record<string, string | undefined>) => {
  const config = loadConfig(conversationEnv, env);
  if (config.ODS_VECTOR_STORE === "milvus" && !config.ODS_MILVUS_ADDRESS) {
    throw new ConfigError(["ODS_MILVUS_ADDRESS: required when ODS_VECTOR_STORE=milvus"]);
  }
  return config;
};
export type ConversationConfig = ReturnType<typeof loadConversationConfig>;
