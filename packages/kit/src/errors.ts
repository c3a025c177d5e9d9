import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { ZodError } from "zod";

/** The `extensions.code` values a client can rely on (API.md). */
export enum ErrorCode {
  BAD_USER_INPUT = "BAD_USER_INPUT",
  UNAUTHENTICATED = "UNAUTHENTICATED",
  FORBIDDEN = "FORBIDDEN",
  NOT_FOUND = "NOT_FOUND",
  CONFLICT = "CONFLICT",
  RATE_LIMITED = "RATE_LIMITED",
  UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE",
  INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR",
}

/** An expected failure whose message is safe to show to the client. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.name = "AppError";
  }
  get code(): ErrorCode {
    return this.extensions.code as ErrorCode;
  }
}

export const badInput = (message: string, fields?: Record<string, string>) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, fields ? { fields } : {});
export const notFound = (what: string, id: string) => new AppError(ErrorCode.NOT_FOUND, `${what} ${id} was not found`);
export const unauthenticated = (message = "You must be signed in") => new AppError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = "You are not allowed to do this") => new AppError(ErrorCode.FORBIDDEN, message);
export const conflict = (message: string) => new AppError(ErrorCode.CONFLICT, message);
export const upstreamUnavailable = (message: string) => new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, message);

/** Turns a zod failure into BAD_USER_INPUT with one message per field. */
export function fromZod(error: ZodError, message = "Invalid input"): AppError {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) fields[issue.path.join(".") || "_"] = issue.message;
  const detail = Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join("; ");
  return badInput(`${message}: ${detail}`, fields);
}

/**
 * The fields of a GraphQL input that were given a value: GraphQL sends `null` for an optional field left out, which
 * a zod schema's `.optional()` refuses, so inputs are stripped of nulls before {@link parseInput}.
 */
export function withoutNulls<T extends object>(input: T): T {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined)) as T;
}

/** Parses `value` with `schema`, throwing BAD_USER_INPUT with per-field messages when it does not fit. */
export function parseInput<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } },
  value: unknown,
): T {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error);
  return result.data;
}

const CLIENT_SAFE = new Set<string>([
  ...Object.values(ErrorCode).filter((c) => c !== ErrorCode.INTERNAL_SERVER_ERROR),
  // graphql-js and Apollo's own validation failures describe the query, not the server.
  "GRAPHQL_VALIDATION_FAILED",
  "GRAPHQL_PARSE_FAILED",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  // The gateway's limits (depth, aliases, tokens, directives, cost): the query was refused, not the server broken.
  "QUERY_TOO_COMPLEX",
]);

/**
 * Masks unexpected errors for clients: they get a message and the request id; the log gets the whole error.
 * Expected errors (a known `extensions.code`) pass through unchanged.
 */
export function maskError(
  formatted: GraphQLFormattedError,
  original: unknown,
  requestId: string | undefined,
  log: (err: unknown) => void,
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === "string" && CLIENT_SAFE.has(code)) {
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  // Errors from type-graphql's argument validation and from graphql-js input coercion are the client's fault.
  if (!code && /^(Variable|Argument|Field|Expected|Unknown argument|Cannot query)/.test(formatted.message)) {
    return { ...formatted, extensions: { code: ErrorCode.BAD_USER_INPUT } };
  }
  log(original);
  return {
    message: `Internal server error (request ${requestId ?? "unknown"})`,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId },
  };
}
