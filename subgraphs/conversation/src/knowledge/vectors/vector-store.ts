import { badInput } from "@ods/kit";

/** One stored vector: a chunk of a knowledge-base document. */
export interface VectorRecord {
  id: string;
  documentId: string;
  vector: number[];
}

/** score: cosine similarity, higher is closer (1 = same direction). */
export interface VectorHit {
  id: string;
  documentId: string;
  score: number;
}

export interface VectorSearchOptions {
  topK: number;
  /** only these documents */
  documentIds?: string[];
}

/**
 * The vector store port: one collection per knowledge base, cosine similarity.
 *
 * @remarks The embedded profile uses an on-disk HNSW index ({@link HnswVectorStore}); production can use Milvus
 * ({@link MilvusVectorStore}). Both pass `test/vector-store.contract.ts`.
 */
export interface VectorStore {
  readonly kind: "embedded" | "milvus";
  /** Creates the collection when missing; a second call with the same dimensions is a no-op, other dimensions throw. */
  ensureCollection(collection: string, dimensions: number): Promise<void>;
  /** Insert or replace by id (idempotent: upserting the same id twice leaves one vector). */
  upsert(collection: string, records: VectorRecord[]): Promise<void>;
  search(collection: string, vector: number[], options: VectorSearchOptions): Promise<VectorHit[]>;
  deleteByIds(collection: string, ids: string[]): Promise<void>;
  deleteByDocument(collection: string, documentId: string): Promise<void>;
  /** ids present (for checks and tests). */
  count(collection: string): Promise<number>;
  dropCollection(collection: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Collection names as the caller builds them (`kb_<uuid without dashes>`). Milvus allows letters, digits and
 * underscores, starting with a letter or underscore, up to 255 characters; the embedded store also uses the name as
 * a folder name, so the same rule keeps paths safe.
 */
const COLLECTION = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

/** Rejects collection names that Milvus would refuse or that could escape the embedded store's folder. */
export function assertCollectionName(collection: string): void {
  if (!COLLECTION.test(collection))
    throw badInput(`Invalid vector collection name: ${JSON.stringify(collection)} (letters, digits and _ only)`);
}

/** Rejects dimensions outside what both backends accept (Milvus caps float vectors at 32,768). */
export function assertDimensions(dimensions: number): void {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 32_768)
    throw badInput(`Invalid vector dimensions: ${dimensions} (an integer from 1 to 32768)`);
}

/**
 * Rejects a vector of the wrong length, with non-finite values, or of zero length: cosine similarity is undefined
 * for the zero vector, and the index would store NaNs that poison every later search.
 */
export function assertVector(vector: number[], dimensions: number, what = "vector"): void {
  if (!Array.isArray(vector) || vector.length !== dimensions)
    throw badInput(`The ${what} has ${vector?.length ?? 0} dimensions; the collection has ${dimensions}`);
  let norm = 0;
  for (const value of vector) {
    if (!Number.isFinite(value)) throw badInput(`The ${what} contains a value that is not a finite number`);
    norm += value * value;
  }
  if (norm === 0) throw badInput(`The ${what} is all zeros, which has no direction to compare`);
}

/** Rejects a bad topK; both backends would otherwise fail with their own, less helpful, messages. */
export function assertTopK(topK: number): void {
  if (!Number.isInteger(topK) || topK < 1 || topK > 16_384)
    throw badInput(`Invalid topK: ${topK} (an integer from 1 to 16384)`);
}

/** Rejects records without ids; the last record wins when one batch repeats an id, as with separate upserts. */
export function dedupeRecords(records: VectorRecord[]): VectorRecord[] {
  const byId = new Map<string, VectorRecord>();
  for (const record of records) {
    if (typeof record.id !== "string" || record.id === "") throw badInput("Every vector record needs an id");
    if (typeof record.documentId !== "string") throw badInput(`Vector record ${record.id} needs a documentId`);
    byId.delete(record.id);
    byId.set(record.id, record);
  }
  return [...byId.values()];
}
