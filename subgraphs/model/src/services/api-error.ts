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
