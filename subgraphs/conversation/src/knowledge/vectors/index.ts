export * from "./create-vector-store.js";
export * from "./hnsw-vector-store.js";
export * from "./milvus-vector-store.js";
export * from "./vector-store.js";
