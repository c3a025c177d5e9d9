/** One entry of a GraphQL response's `errors`, as the server sent it. */
export interface GraphQLErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/**
 * What every SDK call throws: an error from the platform, with the machine-readable code that the API puts in
 * `errors[].extensions.code` (`BAD_USER_INPUT`, `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `CONFLICT`,
 * `RATE_LIMITED`, `UPSTREAM_UNAVAILABLE`, …).
 *
 * @remarks
 * Failures without a GraphQL error use codes of their own: `NETWORK_ERROR` when the server cannot be reached
 * (or, for a chat message, the connection failed before the platform confirmed it), `HTTP_ERROR` (with
 * {@link OdsError.status}) when it answered without a GraphQL body, and for a chat answer whose generation
 * failed, the code of the stream's `MessageFailed` event.
 */
export class OdsError extends Error {
  /** `extensions.code` of the first GraphQL error, or one of the SDK's own codes above. */
  readonly code: string;
  /** Every GraphQL error of the response (empty when the failure was not a GraphQL error). */
  readonly errors: readonly GraphQLErrorEntry[];
  /** The HTTP status, when the failure came with one. */
  readonly status?: number;

  constructor(
    code: string,
    message: string,
    options: { errors?: readonly GraphQLErrorEntry[]; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OdsError";
    this.code = code;
    this.errors = options.errors ?? [];
    this.status = options.status;
  }

  /** Builds the error for a GraphQL response that carried `errors`. */
  static fromGraphQL(errors: readonly GraphQLErrorEntry[], status?: number): OdsError {
    const first = errors[0];
    const code = typeof first?.extensions?.code === "string" ? first.extensions.code : "INTERNAL_SERVER_ERROR";
    const message = errors.map((e) => e.message).join("; ") || "The server returned an error without a message.";
    return new OdsError(code, message, { errors, status });
  }
}
