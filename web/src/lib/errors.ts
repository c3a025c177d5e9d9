import { CombinedError } from "@urql/core";

/**
 * A one-line message for the user: the server's own words when it sent any. Takes urql's errors, a subscription's
 * GraphQL errors (which `message-stream` reports as a `CombinedError` too), or any other error.
 */
export function errorMessage(error: CombinedError | Error): string {
  if (!(error instanceof CombinedError)) return error.message;
  const first = error.graphQLErrors[0];
  if (first) return first.message;
  if (error.networkError) return "The server cannot be reached. Check your connection and try again.";
  return error.message;
}

/** Whether the server refused the request because the session is missing or expired. */
export function isUnauthenticated(error: CombinedError | Error): boolean {
  return error instanceof CombinedError && error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED");
}
