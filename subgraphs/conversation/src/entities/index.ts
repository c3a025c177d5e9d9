import { Conversation } from "./conversation.js";
import { Message } from "./message.js";

export { Conversation, Message };
export type { GenerationParams } from "./conversation.js";
export { MessageRole, MessageStatus, MessageUsage } from "./message.js";
export const entities = [Conversation, Message];
