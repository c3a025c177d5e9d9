/** Where a call went: the model and the endpoint that answered it (its base URL, or "builtin"). */
export interface CallStartInfo {
  modelId: string;
  endpoint: string;
}

/** How a call ended, with the upstream's token usage when it reported one. */
export interface CallEndResult {
  status: "ok" | "error" | "cancelled";
  usage?: { promptTokens: number; completionTokens: number };
  errorCode?: string;
}

/**
 * What the inference service reports about one call, for usage accounting and limits.
 *
 * @remarks `onStart` runs once per attempt that reaches an endpoint (a failover calls it again with the next
 * endpoint; the last one wins), `onFirstToken` at the first streamed content or when a non-streamed answer
 * arrives, `onText` with the answer's text when no usage is reported, and `onEnd` exactly once per call. Implementations must not throw: accounting never fails a call.
 */
export interface CallObserver {
  onStart(info: CallStartInfo): void;
  onFirstToken(): void;
  /** Answer text as it streams (only when the upstream reports no usage): counted with the built-in tokenizer. */
  onText?(text: string): void;
  onEnd(result: CallEndResult): void;
}
