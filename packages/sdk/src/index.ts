export { OneDataStudio, type LoginResult, type OneDataStudioOptions } from "./client.js";
export { OdsError, type GraphQLErrorEntry } from "./errors.js";
export {
  Dataset,
  DatasetsApi,
  type DataPreview,
  type DatasetColumn,
  type DatasetRow,
  type DatasetSummary,
  type ListDatasetsOptions,
  type RowsOptions,
} from "./datasets.js";
export { ModelsApi, type ListModelsOptions, type ModelInfo } from "./models.js";
export { ChatApi, ChatStream, type ChatInput, type ChatMessage, type SentMessages } from "./chat.js";
export type { Page, PageOptions, Transport, VariablesArg } from "./transport.js";
export { resumable, type ResumeOptions, type SequencedEvent } from "./resume.js";
export type * from "./gql/graphql.js";
