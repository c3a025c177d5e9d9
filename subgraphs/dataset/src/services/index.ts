import {
  createAuditClient,
  createModelClient,
  createObjectStore,
  dialectOf,
  type AuditClient,
  type Logger,
  type ObjectStore,
  type ObjectStoreConfig,
  secretKeyring,
  SharingService,
  staticUserDirectory,
  type UserDirectory,
} from "@ods/kit";
import type { DatasetConfig } from "../config.js";
import { DatasetShare } from "../entities/index.js";
import { AskService } from "./ask/ask-service.js";
import { DataSourceService } from "./data-sources/index.js";
import { DatasetService } from "./dataset-service.js";
import { SqlService } from "./sql/run-sql.js";
import { UploadService } from "./upload-service.js";

/** The dataset subgraph's service layer, handed to resolvers through the context. */
export interface DatasetServices {
  datasets: DatasetService;
  uploads: UploadService;
  store: ObjectStore;
  dataSources: DataSourceService;
  sql: SqlService;
  ask: AskService;
  /** Sends data source, dataset and SQL events to the identity subgraph's audit log. */
  audit: AuditClient;
}

/** What the services need besides the configuration. */
export interface DatasetServicesOptions {
  logger?: Logger;
  /** Finds the people data sources are shared with (the identity subgraph); nobody without it. */
  directory?: UserDirectory;
}

/** Builds the services from the configuration: the embedded object store and the upload signer. */
export function createDatasetServices(
  config: Pick<DatasetConfig, "ODS_DATA_DIR" | "ODS_DATABASE_URL" | "ODS_INTERNAL_SECRET" | "ODS_MAX_UPLOAD_BYTES"> &
    Partial<
      Pick<
        DatasetConfig,
        "ODS_SECRET_KEY" | "ODS_SECRET_KEY_PREVIOUS" | "ODS_MODEL_URL" | "ODS_TEXT_TO_SQL_MODEL" | "ODS_IDENTITY_URL"
      >
    > &
    Partial<ObjectStoreConfig>,
  { logger, directory }: DatasetServicesOptions = {},
): DatasetServices {
  // The platform's store: S3 when ODS_S3_ENDPOINT is set, else the local folder the gateway uploads into.
  const store = createObjectStore({
    ODS_S3_BUCKET: "ods",
    ODS_S3_REGION: "us-east-1",
    ...config,
  } as ObjectStoreConfig);
  const audit = createAuditClient({
    identityUrl: config.ODS_IDENTITY_URL ?? "http://127.0.0.1:4001",
    internalSecret: config.ODS_INTERNAL_SECRET,
    service: "dataset",
    logger,
  });
  const dataSources = new DataSourceService({
    secretKey: secretKeyring(config.ODS_SECRET_KEY ?? config.ODS_INTERNAL_SECRET, config.ODS_SECRET_KEY_PREVIOUS),
    dataDir: config.ODS_DATA_DIR,
    sharing: new SharingService(DatasetShare, { directory: directory ?? staticUserDirectory(), audit }),
    logger,
  });
  const datasets = new DatasetService(store, dialectOf(config.ODS_DATABASE_URL), {
    s3Store: (em, caller, id, bucket) => dataSources.s3Store(em, caller, id, bucket),
    internalSecret: config.ODS_INTERNAL_SECRET,
    logger,
  });
  const sql = new SqlService(datasets, dataSources);
  const modelClient = createModelClient({
    modelUrl: config.ODS_MODEL_URL ?? "http://127.0.0.1:4003",
    internalSecret: config.ODS_INTERNAL_SECRET,
  });
  return {
    store,
    datasets,
    uploads: new UploadService(config.ODS_INTERNAL_SECRET, config.ODS_MAX_UPLOAD_BYTES, store),
    dataSources,
    sql,
    ask: new AskService(sql, modelClient, config.ODS_TEXT_TO_SQL_MODEL ?? "builtin-offline"),
    audit,
  };
}
