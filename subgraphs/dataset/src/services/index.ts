import { dialectOf, LocalObjectStore, objectStoreRoot, type ObjectStore } from "@ods/kit";
import type { DatasetConfig } from "../config.js";
import { DatasetService } from "./dataset-service.js";
import { UploadService } from "./upload-service.js";

/** The dataset subgraph's service layer, handed to resolvers through the context. */
export interface DatasetServices {
  datasets: DatasetService;
  uploads: UploadService;
  store: ObjectStore;
}

/** Builds the services from the configuration: the embedded object store and the upload signer. */
export function createDatasetServices(
  config: Pick<DatasetConfig, "ODS_DATA_DIR" | "ODS_DATABASE_URL" | "ODS_INTERNAL_SECRET" | "ODS_MAX_UPLOAD_BYTES">,
): DatasetServices {
  const store = new LocalObjectStore(objectStoreRoot(config.ODS_DATA_DIR));
  return {
    store,
    datasets: new DatasetService(store, dialectOf(config.ODS_DATABASE_URL)),
    uploads: new UploadService(config.ODS_INTERNAL_SECRET, config.ODS_MAX_UPLOAD_BYTES),
  };
}
