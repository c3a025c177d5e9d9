import { join } from "node:path";
import type { Logger } from "@ods/kit";
import { HnswVectorStore } from "./hnsw-vector-store.js";
import { MilvusVectorStore } from "./milvus-vector-store.js";
import type { VectorStore } from "./vector-store.js";

export interface CreateVectorStoreOptions {
  /** `ODS_VECTOR_STORE`: the embedded on-disk index, or a Milvus server. */
  kind: "embedded" | "milvus";
  /** `ODS_DATA_DIR`: the embedded store keeps its indexes in `<dataDir>/vectors`. */
  dataDir: string;
  /** `ODS_MILVUS_ADDRESS` (`host:port`); required when `kind` is `milvus`. */
  milvusAddress?: string;
  /** `ODS_MILVUS_TOKEN` (`user:password` or an API key). */
  milvusToken?: string;
  /** Reports failed background snapshots of the embedded store. */
  logger?: Pick<Logger, "warn">;
}

/** The embedded store's folder under the data folder. */
export function vectorStoreRoot(dataDir: string): string {
  return join(dataDir, "vectors");
}

/**
 * Builds the configured vector store. Neither kind touches the disk or the network here: the embedded store opens
 * a collection on first use, and the Milvus client connects on its first call.
 */
export function createVectorStore(options: CreateVectorStoreOptions): VectorStore {
  if (options.kind === "milvus") {
    if (!options.milvusAddress) throw new Error("ODS_MILVUS_ADDRESS is required when ODS_VECTOR_STORE=milvus");
    return new MilvusVectorStore({ address: options.milvusAddress, token: options.milvusToken });
  }
  return new HnswVectorStore({ root: vectorStoreRoot(options.dataDir), logger: options.logger });
}
