import type { SchemaOptions } from "@ods/kit";
import { resolveDatasetReference } from "./dataset.reference.js";
import {
  CatalogTableResolver,
  DataSourceResolver,
  resolveDataSourceReference,
} from "./resolvers/data-source.resolver.js";
import { DataPreviewResolver, DatasetResolver } from "./resolvers/dataset.resolver.js";
import { AskResolver } from "./resolvers/ask.resolver.js";
import { SqlResolver } from "./resolvers/sql.resolver.js";
import { UploadResolver } from "./resolvers/upload.resolver.js";
import type { DatasetServices } from "./services/index.js";
import { User } from "./user.stub.js";

export { entities } from "./entities/index.js";

/** Everything the dataset subgraph's schema is built from (also read by `npm run compose`). */
export const schemaOptions: SchemaOptions<DatasetServices> = {
  resolvers: [
    DatasetResolver,
    DataPreviewResolver,
    UploadResolver,
    DataSourceResolver,
    CatalogTableResolver,
    SqlResolver,
    AskResolver,
  ],
  orphanedTypes: [User],
  references: { Dataset: resolveDatasetReference, DataSource: resolveDataSourceReference },
};
