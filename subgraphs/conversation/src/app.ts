import type { MikroORM } from "@mikro-orm/core";
import {
  DatasetReader,
  createChatStreamer,
  createModelClient,
  createObjectStore,
  createPubSub,
  noAudit,
  SharingService,
  startSubgraph,
  staticUserDirectory,
  type AuditSink,
  type Logger,
  type RunningSubgraph,
  type UserDirectory,
} from "@ods/kit";
import type { ConversationConfig } from "./config.js";
import { ConversationShare } from "./entities/index.js";
import { createChatContext } from "./knowledge/chat-context.js";
import { Embedder } from "./knowledge/embedder.js";
import { IngestionService } from "./knowledge/ingestion-service.js";
import { KnowledgeService } from "./knowledge/knowledge-service.js";
import { RetrievalService } from "./knowledge/retrieval-service.js";
import { createVectorStore } from "./knowledge/vectors/create-vector-store.js";
import type { VectorStore } from "./knowledge/vectors/vector-store.js";
import { eventTypeName } from "./resolvers/message.resolver.js";
import { schemaOptions } from "./schema.js";
import { ConversationService } from "./services/conversation-service.js";
import { GenerationService, type GenerationOptions } from "./services/generation-service.js";

export interface ConversationSubgraph extends RunningSubgraph {
  generation: GenerationService;
  ingestion: IngestionService;
  vectors: VectorStore;
}

/** What {@link startConversationSubgraph} takes beyond the config: timing for tests, and outside services. */
export type ConversationOptions = Partial<Pick<GenerationOptions, "flushMs" | "staleAfterMs" | "augment">> & {
  ingestLeaseMs?: number;
  /** Finds the people knowledge bases are shared with (the identity subgraph); nobody without it. */
  directory?: UserDirectory;
  /** Where sharing changes are recorded (the identity subgraph's audit log); nowhere without it. */
  audit?: AuditSink;
};

/**
 * Wires the conversation subgraph on an open database: pub/sub, the model client, the services (generation
 * listens for stop requests and recovers interrupted replies before the port opens), and the server.
 */
export async function startConversationSubgraph(
  config: ConversationConfig,
  orm: MikroORM,
  logger: Logger,
  options: ConversationOptions = {},
): Promise<ConversationSubgraph> {
  const { ingestLeaseMs, directory, audit, ...generationTuning } = options;
  const pubsub = createPubSub(config.ODS_REDIS_URL);
  const modelUrl = config.ODS_MODEL_URL.replace(/\/+$/, "");
  const modelClient = createModelClient({ modelUrl, internalSecret: config.ODS_INTERNAL_SECRET });
  const store = createObjectStore(config);
  const vectors = createVectorStore({
    kind: config.ODS_VECTOR_STORE,
    dataDir: config.ODS_DATA_DIR,
    milvusAddress: config.ODS_MILVUS_ADDRESS,
    milvusToken: config.ODS_MILVUS_TOKEN,
  });
  const embedder = new Embedder(modelClient);
  const ingestion = new IngestionService({
    orm,
    pubsub,
    store,
    vectors,
    embedder,
    datasets: new DatasetReader(config.ODS_DATASET_URL, config.ODS_INTERNAL_SECRET),
    logger,
    concurrency: config.ODS_INGEST_CONCURRENCY,
    batchSize: config.ODS_EMBED_BATCH_SIZE,
    sharedReplicas: Boolean(config.ODS_REDIS_URL),
    ...(ingestLeaseMs ? { leaseMs: ingestLeaseMs } : {}),
  });
  const retrieval = new RetrievalService({ orm, vectors, embedder, modelClient, logger });
  const sharing = new SharingService(ConversationShare, {
    directory: directory ?? staticUserDirectory(),
    audit: audit ?? noAudit,
  });
  const knowledge = new KnowledgeService({
    store,
    vectors,
    embedder,
    ingestion,
    sharing,
    defaultEmbeddingModel: config.ODS_DEFAULT_EMBEDDING_MODEL,
    logger,
  });
  const generation = new GenerationService({
    orm,
    pubsub,
    chatStream: createChatStreamer({ modelUrl, internalSecret: config.ODS_INTERNAL_SECRET }),
    logger,
    contextTokens: config.ODS_CONTEXT_TOKENS,
    batchMs: config.ODS_STREAM_BATCH_MS,
    retentionSeconds: config.ODS_STREAM_RETENTION_SECONDS,
    idleTimeoutMs: config.ODS_MODEL_IDLE_TIMEOUT_MS,
    heartbeatMs: config.ODS_STREAM_HEARTBEAT_MS,
    sharedReplicas: Boolean(config.ODS_REDIS_URL),
    augment: createChatContext({ orm, retrieval, knowledge, logger }),
    ...generationTuning,
  });
  const conversations = new ConversationService(generation, pubsub, config.ODS_DEFAULT_CHAT_MODEL);
  try {
    await generation.start();
    ingestion.start();
    const subgraph = await startSubgraph({
      ...schemaOptions,
      name: "conversation",
      port: config.ODS_CONVERSATION_PORT,
      internalSecret: config.ODS_INTERNAL_SECRET,
      orm,
      logger,
      // Each returns its event as it is; their `subscribe` checks the caller and starts the stream.
      passThroughSubscriptions: {
        fields: ["chat", "messageStream", "documentStatus"],
        resolveType: { ChatEvent: eventTypeName, MessageStreamEvent: eventTypeName },
      },
      services: {
        conversations,
        generation,
        knowledge,
        ingestion,
        retrieval,
        knowledgeStreams: { orm, pubsub },
      },
      readiness: [
        { name: "pubsub", check: () => pubsub.ping() },
        { name: "vectors", check: () => vectors.ping() },
        {
          name: "model",
          check: async () => {
            const res = await fetch(`${modelUrl}/healthz`, { signal: AbortSignal.timeout(2_500) });
            if (!res.ok) throw new Error(`model API /healthz answered ${res.status}`);
          },
        },
      ],
      onClose: async () => {
        await ingestion.close();
        await generation.close();
        await vectors.close();
        await pubsub.close();
      },
    });
    return Object.assign(subgraph, { generation, ingestion, vectors });
  } catch (err) {
    await ingestion.close().catch(() => undefined);
    await generation.close().catch(() => undefined);
    await vectors.close().catch(() => undefined);
    await pubsub.close().catch(() => undefined);
    throw err;
  }
}
