import { AskHistoryEntry } from "./ask-history.js";
import { CatalogRefreshJob } from "./catalog-refresh-job.js";
import { CatalogTable } from "./catalog-table.js";
import { DataSource } from "./data-source.js";
import { Dataset } from "./dataset.js";
import { DatasetStatsJob } from "./dataset-stats-job.js";
import { DatasetVersion } from "./dataset-version.js";
import { DatasetShare } from "./resource-share.js";

export { Dataset, DatasetShare };
export { DatasetColumn, DatasetFormat } from "./dataset.js";
export { DatasetVersion } from "./dataset-version.js";
export {
  DatasetColumnStats,
  DatasetJobStatus,
  DatasetStats,
  DatasetStatsJob,
  DatasetTopValue,
} from "./dataset-stats-job.js";
export { DataSource, DataSourceConnectionInfo, DataSourceKind } from "./data-source.js";
export { CatalogColumn, CatalogForeignKey, CatalogTable } from "./catalog-table.js";
export { AskHistoryEntry } from "./ask-history.js";
export { CatalogRefreshJob, CatalogRefreshState } from "./catalog-refresh-job.js";
export const entities = [
  Dataset,
  DatasetVersion,
  DatasetStatsJob,
  DataSource,
  CatalogTable,
  CatalogRefreshJob,
  AskHistoryEntry,
  DatasetShare,
];
