import { Model } from "./model.js";

export { Model };
export { BUILTIN_CHAT_ID, BUILTIN_EMBEDDER_ID, ModelKind, ModelProvider } from "./model.js";
export const entities = [Model];
