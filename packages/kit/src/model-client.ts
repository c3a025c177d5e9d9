import OpenAI from "openai";
import { signInternalToken, type Caller } from "./auth.js";

/**
 * An `openai` SDK client for the model subgraph's OpenAI-compatible API, acting for `caller`.
 *
 * @remarks Every model call in the platform (chat generation, workflow LLM nodes, Text-to-SQL) goes through the
 * same `/v1` API that outside programs use, so usage accounting and limits apply to all of them alike. A
 * caller's token lives five minutes and is used for at most the first one, so a call never starts with an expired
 * one (calls time out after two minutes).
 */
export function createModelClient(options: { modelUrl: string; internalSecret: string; timeoutMs?: number }) {
  // A caller's client (and so its token) is reused for a minute of the token's five: signing, and the model
  // subgraph verifying, a fresh token for every reply of a busy user is work on the hot path of every chat.
  const clients = new Map<string, { client: Promise<OpenAI>; until: number }>();
  return (caller: Caller): Promise<OpenAI> => {
    const key = JSON.stringify([caller.userId, caller.roles, caller.apiKeyId, caller.service]);
    const hit = clients.get(key);
    if (hit && hit.until > Date.now()) return hit.client;
    if (clients.size > 1_000) clients.clear();
    const client = signInternalToken(options.internalSecret, caller, 300).then(
      (token) =>
        new OpenAI({
          baseURL: `${options.modelUrl.replace(/\/+$/, "")}/v1`,
          apiKey: token,
          timeout: options.timeoutMs ?? 120_000,
          maxRetries: 0,
        }),
    );
    clients.set(key, { client, until: Date.now() + 60_000 });
    return client;
  };
}
