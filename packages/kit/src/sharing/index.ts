export * from "./share-entity.js";
export * from "./share-graphql.js";
export * from "./sharing-service.js";
