import OpenAI from "openai";
import { signInternalToken, type Caller } from "./auth.js";

/**
 * An `openai` SDK client for the model subgraph's OpenAI-compatible API, acting for `caller`.
 *
 * @remarks Every model call in the platform (chat generation, workflow LLM nodes, Text-to-SQL) goes through the
 * same `/v1` API that outside programs use, so usage accounting and limits apply to all of them alike. The
 * internal token is signed per call, so a long-lived client never sends an expired one.
 */
export function createModelClient(options: { modelUrl: string; internalSecret: string; timeoutMs?: number }) {
  return async (caller: Caller): Promise<OpenAI> =>
    new OpenAI({
      baseURL: `${options.modelUrl.replace(/\/+$/, "")}/v1`,
      apiKey: await signInternalToken(options.internalSecret, caller, 300),
      timeout: options.timeoutMs ?? 120_000,
      maxRetries: 0,
    });
}
