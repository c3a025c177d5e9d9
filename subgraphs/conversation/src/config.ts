import { loadConfig, port } from "@ods/kit";
import { z } from "zod";

export const conversationEnv = {
  ODS_CONVERSATION_PORT: port(4004),
  /** Base URL of the model subgraph, whose OpenAI-compatible `/v1` API every generation goes through. */
  ODS_MODEL_URL: z.url().default("http://127.0.0.1:4003"),
  /** The model a new conversation uses when none is chosen: the built-in offline model. */
  ODS_DEFAULT_CHAT_MODEL: z.string().min(1).max(200).default("builtin-offline"),
  /** Approximate token budget of a prompt (system prompt + history + new message + reserved reply). */
  ODS_CONTEXT_TOKENS: z.coerce.number().int().min(256).max(2_000_000).default(6000),
  /** Deltas are gathered for this long before they become one stream event (ms). */
  ODS_STREAM_BATCH_MS: z.coerce.number().int().min(1).max(5_000).default(40),
  /** How long a finished message's event log stays replayable (s). */
  ODS_STREAM_RETENTION_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  /** A reply fails ("the model stopped sending") when no chunk of the model's stream arrives for this long (ms). */
  ODS_MODEL_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
};

export const loadConversationConfig = (env?: Record<string, string | undefined>) => loadConfig(conversationEnv, env);
export type ConversationConfig = ReturnType<typeof loadConversationConfig>;
