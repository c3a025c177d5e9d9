export * from "./chat-stream.js";
export * from "./sse.js";
export * from "./upstream.js";
