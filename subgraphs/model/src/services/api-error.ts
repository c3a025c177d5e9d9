import OpenAI from "openai";

/**
 * An error of the OpenAI-compatible API, answered in OpenAI's own shape (`{ error: { message, type, param, code } }`)
 * so that the `openai` SDK and other clients surface it as they would OpenAI's.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Response headers to send with it (e.g. `retry-after` of an upstream's 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The response body. */
  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const invalidRequest = (message: string, param: string | null = null) =>
  new ApiError(400, message, "invalid_request_error", null, param);

export const unauthorized = (message: string) => new ApiError(401, message, "invalid_request_error", "invalid_api_key");

export const modelNotFound = (model: string) =>
  new ApiError(404, `The model '${model}' does not exist`, "invalid_request_error", "model_not_found", "model");

export const upstreamFailed = (message: string) => new ApiError(502, message, "upstream_error", "upstream_unavailable");

/** Headers of an upstream error answer that a client acts on, so they are passed on with it. */
const PASSED_HEADERS = ["retry-after", "retry-after-ms"];

/**
 * The error to answer when a call to a model's upstream failed. An upstream 4xx (a prompt over the context
 * length, a rate limit, an unknown parameter) is the caller's to act on, so it is passed on as it came: status,
 * type, code, param, message and `retry-after`; a 502 would make clients (the `openai` SDK retries 5xx) repeat
 * a request that can only fail again. Only a network failure or an upstream 5xx becomes 502 `upstream_error`.
 */
export function fromUpstream(modelName: string, err: unknown, describe: (err: unknown) => string): ApiError {
  // 401/403 from an upstream is about the platform's stored key for that model, not the client's own key: passing
  // it on would tell the client its key is bad. It is an upstream failure the operator must fix.
  if (err instanceof OpenAI.APIError && (err.status === 401 || err.status === 403)) {
    return upstreamFailed(
      `The upstream of model '${modelName}' refused the platform's credentials (HTTP ${err.status}): check the model's API key`,
    );
  }
  if (err instanceof OpenAI.APIError && typeof err.status === "number" && err.status >= 400 && err.status < 500) {
    const body = (err.error ?? {}) as { message?: unknown; type?: unknown };
    const message = typeof body.message === "string" ? body.message : err.message;
    const headers: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const value = err.headers?.get(name);
      if (value) headers[name] = value;
    }
    return new ApiError(
      err.status,
      message,
      typeof body.type === "string" ? body.type : "invalid_request_error",
      err.code ?? null,
      err.param ?? null,
      headers,
    );
  }
  return upstreamFailed(`The upstream of model '${modelName}' failed: ${describe(err)}`);
}
