import { conflict, notFound, upstreamUnavailable } from "@ods/kit";
import type { MilvusClient, ResStatus } from "@zilliz/milvus2-sdk-node";
import {
  assertCollectionName,
  assertDimensions,
  assertTopK,
  assertVector,
  dedupeRecords,
  type VectorHit,
  type VectorRecord,
  type VectorSearchOptions,
  type VectorStore,
} from "./vector-store.js";

export interface MilvusVectorStoreOptions {
  /** `host:port` of Milvus' gRPC endpoint, e.g. `127.0.0.1:19530`. */
  address: string;
  /** `user:password` or an API key; omit when authentication is off. */
  token?: string;
  /** Per-call deadline in milliseconds. @defaultValue 15_000 — 15 s */
  timeoutMs?: number;
  /** HNSW candidate list size while searching (raised to topK when smaller). @defaultValue 128 */
  efSearch?: number;
}

/** Longest id or document id stored (Milvus VarChar `max_length`, in bytes). */
const MAX_KEY_BYTES = 512;
/** Rows per insert request: stays well under Milvus' 64 MB gRPC message limit at 384 dimensions. */
const BATCH = 1000;

/** Throws when a Milvus call answered with an error status (most of the SDK's calls resolve rather than throw). */
function check(status: ResStatus | undefined, what: string): void {
  if (!status) return;
  const ok = status.error_code === "Success" || status.error_code === 0 || status.code === 0;
  if (!ok) throw new Error(`Milvus ${what} failed: ${status.reason || status.detail || String(status.error_code)}`);
}

/**
 * A Milvus expression string literal: JSON's escaping of `"` and `\` matches the expression grammar, so an id can
 * never end the string early and inject an expression.
 */
function literal(value: string): string {
  return JSON.stringify(value);
}

/**
 * The Milvus vector store: one collection per knowledge base with fields `id` (VarChar primary key),
 * `document_id` (VarChar) and `vector` (FloatVector), an HNSW index with the COSINE metric, loaded on creation.
 *
 * @remarks
 * - The client is built with `__SKIP_CONNECT__` (STACK.md pitfall 17): the SDK's eager connect rejects unhandled
 *   and kills the process when no server is up. Skipping it leaves the gRPC channel to connect lazily, so a
 *   missing server shows up as a failed call (or a failed {@link MilvusVectorStore.ping}) instead.
 * - Collections use Strong consistency so a search or count right after an upsert sees it, as with the embedded
 *   store; knowledge bases are written rarely and read often, so the cost is small.
 * - Document ids go into filter expressions as escaped string literals (see {@link literal}); expression templates
 *   (`exprValues`) would be neater but need Milvus 2.5, and literals work on every 2.x server.
 */
export class MilvusVectorStore implements VectorStore {
  readonly kind = "milvus" as const;
  private readonly connection: Promise<{ client: MilvusClient; sdk: typeof import("@zilliz/milvus2-sdk-node") }>;
  private readonly efSearch: number;
  /** Dimensions of collections seen, so every call need not describe the collection first. */
  private readonly dimensions = new Map<string, number>();

  constructor({ address, token, timeoutMs = 15_000, efSearch = 128 }: MilvusVectorStoreOptions) {
    // The SDK takes about a second to import (grpc-js, protobufjs): load it only when Milvus is configured.
    this.connection = import("@zilliz/milvus2-sdk-node").then((sdk) => ({
      sdk,
      client: new sdk.MilvusClient({
        address,
        token,
        timeout: timeoutMs,
        __SKIP_CONNECT__: true,
        telemetry: { enabled: false },
        // The SDK's own logger otherwise prints every retried call at debug level to stdout.
        logLevel: "warn",
      }),
    }));
    // An import failure surfaces on the first call; it must not be an unhandled rejection before that.
    this.connection.catch(() => undefined);
    this.efSearch = efSearch;
  }

  private async client(): Promise<MilvusClient> {
    return (await this.connection).client;
  }

  private async exists(collection: string): Promise<boolean> {
    const client = await this.client();
    const res = await client.hasCollection({ collection_name: collection });
    check(res.status, "hasCollection");
    return Boolean(res.value);
  }

  /** The collection's vector dimensions, or undefined when it does not exist. */
  private async describe(collection: string): Promise<number | undefined> {
    const client = await this.client();
    const known = this.dimensions.get(collection);
    if (known) return known;
    if (!(await this.exists(collection))) return undefined;
    const res = await client.describeCollection({ collection_name: collection });
    check(res.status, "describeCollection");
    const field = res.schema.fields.find((f) => f.name === "vector");
    const dim = Number(field?.dim ?? field?.type_params?.find((p) => p.key === "dim")?.value);
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`Milvus collection ${collection} has no vector field`);
    this.dimensions.set(collection, dim);
    return dim;
  }

  /** The dimensions of an existing collection; NOT_FOUND otherwise. */
  private async require(collection: string): Promise<number> {
    assertCollectionName(collection);
    const dim = await this.describe(collection);
    if (dim === undefined) throw notFound("Vector collection", collection);
    return dim;
  }

  async ensureCollection(collection: string, dimensions: number): Promise<void> {
    assertCollectionName(collection);
    assertDimensions(dimensions);
    const existing = await this.describe(collection);
    if (existing !== undefined) {
      if (existing !== dimensions)
        throw conflict(
          `Vector collection ${collection} has ${existing} dimensions, not ${dimensions}; drop it to change them`,
        );
      return;
    }
    const { client, sdk } = await this.connection;
    const { DataType, MetricType } = sdk;
    check(
      await client.createCollection({
        collection_name: collection,
        consistency_level: "Strong",
        fields: [
          { name: "id", data_type: DataType.VarChar, is_primary_key: true, max_length: MAX_KEY_BYTES },
          { name: "document_id", data_type: DataType.VarChar, max_length: MAX_KEY_BYTES },
          { name: "vector", data_type: DataType.FloatVector, dim: dimensions },
        ],
        index_params: [
          {
            field_name: "vector",
            index_type: "HNSW",
            metric_type: MetricType.COSINE,
            params: { M: 16, efConstruction: 200 },
          },
        ],
      }),
      "createCollection",
    );
    check(await client.loadCollection({ collection_name: collection }), "loadCollection");
    this.dimensions.set(collection, dimensions);
  }

  async upsert(collection: string, records: VectorRecord[]): Promise<void> {
    const client = await this.client();
    const dim = await this.require(collection);
    const unique = dedupeRecords(records);
    for (const r of unique) {
      assertVector(r.vector, dim, `vector of ${r.id}`);
      if (Buffer.byteLength(r.id) > MAX_KEY_BYTES || Buffer.byteLength(r.documentId) > MAX_KEY_BYTES)
        throw new Error(`Vector record ids are limited to ${MAX_KEY_BYTES} bytes (${r.id})`);
    }
    for (let at = 0; at < unique.length; at += BATCH) {
      const data = unique.slice(at, at + BATCH).map((r) => ({ id: r.id, document_id: r.documentId, vector: r.vector }));
      const res = await client.upsert({ collection_name: collection, data });
      check(res.status, "upsert");
    }
  }

  async search(collection: string, vector: number[], options: VectorSearchOptions): Promise<VectorHit[]> {
    const client = await this.client();
    assertTopK(options.topK);
    const dim = await this.require(collection);
    assertVector(vector, dim, "query vector");
    if (options.documentIds && options.documentIds.length === 0) return [];
    const res = await client.search({
      collection_name: collection,
      data: vector,
      limit: options.topK,
      anns_field: "vector",
      output_fields: ["document_id"],
      params: { ef: Math.max(this.efSearch, options.topK) },
      ...(options.documentIds ? { filter: `document_id in [${options.documentIds.map(literal).join(", ")}]` } : {}),
    });
    check(res.status, "search");
    return (res.results as { id: string | number; score: number; document_id: string }[]).map((hit) => ({
      id: String(hit.id),
      documentId: hit.document_id,
      score: hit.score,
    }));
  }

  async deleteByIds(collection: string, ids: string[]): Promise<void> {
    const client = await this.client();
    await this.require(collection);
    const unique = [...new Set(ids)];
    for (let at = 0; at < unique.length; at += BATCH) {
      const res = await client.delete({ collection_name: collection, ids: unique.slice(at, at + BATCH) });
      check(res.status, "delete");
    }
  }

  async deleteByDocument(collection: string, documentId: string): Promise<void> {
    const client = await this.client();
    await this.require(collection);
    const res = await client.delete({
      collection_name: collection,
      filter: `document_id == ${literal(documentId)}`,
    });
    check(res.status, "delete");
  }

  async count(collection: string): Promise<number> {
    const client = await this.client();
    await this.require(collection);
    const res = await client.count({ collection_name: collection });
    check(res.status, "count");
    return Number(res.data);
  }

  async dropCollection(collection: string): Promise<void> {
    const client = await this.client();
    assertCollectionName(collection);
    this.dimensions.delete(collection);
    if (!(await this.exists(collection))) return;
    check(await client.dropCollection({ collection_name: collection }), "dropCollection");
  }

  async ping(): Promise<void> {
    let healthy = false;
    let reason = "";
    try {
      const client = await this.client();
      const res = await client.checkHealth();
      healthy = res.isHealthy;
      reason = res.reasons.join("; ");
    } catch (err) {
      reason = (err as Error).message;
    }
    if (!healthy) throw upstreamUnavailable(`Milvus is not available: ${reason || "unhealthy"}`);
  }

  async close(): Promise<void> {
    const client = await this.client();
    await client.closeConnection();
  }
}
