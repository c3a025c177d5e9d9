import type { SchemaOptions } from "@ods/kit";
import { resolveDatasetReference } from "./dataset.reference.js";
import { DataPreviewResolver, DatasetResolver } from "./resolvers/dataset.resolver.js";
import { UploadResolver } from "./resolvers/upload.resolver.js";
import type { DatasetServices } from "./services/index.js";
import { User } from "./user.stub.js";

export { entities } from "./entities/index.js";

/** Everything the dataset subgraph's schema is built from (also read by `npm run compose`). */
export const schemaOptions: SchemaOptions<DatasetServices> = {
  resolvers: [DatasetResolver, DataPreviewResolver, UploadResolver],
  orphanedTypes: [User],
  references: { Dataset: resolveDatasetReference },
};
