import { ErrorCode, requestScope } from "@ods/kit";
import type { Response } from "express";
import { GraphQLError } from "graphql";

/**
 * Codes the gateway's defences answer with, besides kit's {@link ErrorCode}s.
 *
 * @remarks `BAD_REQUEST`, `PERSISTED_QUERY_NOT_FOUND` and `GRAPHQL_PARSE_FAILED` are Apollo Server's own codes (already client-safe in
 * kit's `maskError`); `QUERY_TOO_COMPLEX` names a query refused by a limit, with `extensions.limit` saying which.
 */
export enum SecurityErrorCode {
  QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX",
  BAD_REQUEST = "BAD_REQUEST",
  PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND",
  GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED",
}

/** Every code a defence may send; they describe the request, never the server, so they are never masked. */
export const DEFENCE_CODES = new Set<string>([
  ...Object.values(SecurityErrorCode),
  ErrorCode.RATE_LIMITED,
  ErrorCode.FORBIDDEN,
]);

/** A refusal by one of the defences: safe to show, and carrying the HTTP status to answer with. */
export class DefenceError extends GraphQLError {
  constructor(
    readonly status: number,
    code: SecurityErrorCode | ErrorCode,
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { ...extensions, code } });
    this.name = "DefenceError";
  }
}

/** Answers a refused HTTP request the way GraphQL clients expect: `{ errors: [...] }` with the request id. */
export function refuse(res: Response, error: DefenceError): void {
  const requestId = requestScope.getStore()?.requestId;
  res
    .status(error.status)
    .type("application/json")
    .json({
      errors: [{ message: error.message, extensions: { ...error.extensions, ...(requestId ? { requestId } : {}) } }],
    });
}
