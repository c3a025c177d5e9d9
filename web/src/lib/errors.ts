import type { CombinedError } from "@urql/core";

/** A one-line message for the user from an urql error: the server's own words when it sent any. */
export function errorMessage(error: CombinedError): string {
  const first = error.graphQLErrors[0];
  if (first) return first.message;
  if (error.networkError) return "The server cannot be reached. Check your connection and try again.";
  return error.message;
}

/** Whether the server refused the request because the session is missing or expired. */
export function isUnauthenticated(error: CombinedError): boolean {
  return error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED");
}
