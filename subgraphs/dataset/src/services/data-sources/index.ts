export {
  DataSourceService,
  registerDataSourceInput,
  updateDataSourceInput,
  type DataSourceServiceOptions,
  type ListDataSourcesArgs,
} from "./data-source-service.js";
export { parseConnection, parseDatabaseUrl, summarize, type Connection } from "./connection.js";
