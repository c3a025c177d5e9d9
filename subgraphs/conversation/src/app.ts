import type { MikroORM } from "@mikro-orm/core";
import { createModelClient, createPubSub, startSubgraph, type Logger, type RunningSubgraph } from "@ods/kit";
import type { ConversationConfig } from "./config.js";
import { schemaOptions } from "./schema.js";
import { ConversationService } from "./services/conversation-service.js";
import { GenerationService } from "./services/generation-service.js";

export interface ConversationSubgraph extends RunningSubgraph {
  generation: GenerationService;
}

/**
 * Wires the conversation subgraph on an open database: pub/sub, the model client, the services (generation
 * listens for stop requests and recovers interrupted replies before the port opens), and the server.
 */
export async function startConversationSubgraph(
  config: ConversationConfig,
  orm: MikroORM,
  logger: Logger,
  tuning: { flushMs?: number; staleAfterMs?: number } = {},
): Promise<ConversationSubgraph> {
  const pubsub = createPubSub(config.ODS_REDIS_URL);
  const modelUrl = config.ODS_MODEL_URL.replace(/\/+$/, "");
  const generation = new GenerationService({
    orm,
    pubsub,
    modelClient: createModelClient({ modelUrl, internalSecret: config.ODS_INTERNAL_SECRET }),
    logger,
    contextTokens: config.ODS_CONTEXT_TOKENS,
    batchMs: config.ODS_STREAM_BATCH_MS,
    retentionSeconds: config.ODS_STREAM_RETENTION_SECONDS,
    idleTimeoutMs: config.ODS_MODEL_IDLE_TIMEOUT_MS,
    sharedReplicas: Boolean(config.ODS_REDIS_URL),
    ...tuning,
  });
  const conversations = new ConversationService(generation, pubsub, config.ODS_DEFAULT_CHAT_MODEL);
  try {
    await generation.start();
    const subgraph = await startSubgraph({
      ...schemaOptions,
      name: "conversation",
      port: config.ODS_CONVERSATION_PORT,
      internalSecret: config.ODS_INTERNAL_SECRET,
      orm,
      logger,
      services: { conversations, generation },
      readiness: [
        { name: "pubsub", check: () => pubsub.ping() },
        {
          name: "model",
          check: async () => {
            const res = await fetch(`${modelUrl}/healthz`, { signal: AbortSignal.timeout(2_500) });
            if (!res.ok) throw new Error(`model API /healthz answered ${res.status}`);
          },
        },
      ],
      onClose: async () => {
        await generation.close();
        await pubsub.close();
      },
    });
    return Object.assign(subgraph, { generation });
  } catch (err) {
    await generation.close().catch(() => undefined);
    await pubsub.close().catch(() => undefined);
    throw err;
  }
}
