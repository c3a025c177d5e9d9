import type { TypedDocumentNode } from "@graphql-typed-document-node/core";

/**
 * The variables argument of a call: optional when the operation has no required variable, required otherwise.
 */
export type VariablesArg<V> = Record<string, never> extends V ? [variables?: V] : [variables: V];

/** What the typed helpers (`datasets`, `models`, `chat`) need from the client. */
export interface Transport {
  /** Runs a query or mutation over HTTP. */
  graphql<R, V>(document: TypedDocumentNode<R, V>, ...variables: VariablesArg<V>): Promise<R>;
  /** Opens one subscription over graphql-ws; throws when the socket drops (callers decide whether to resume). */
  subscribe<R, V>(document: TypedDocumentNode<R, V>, ...variables: VariablesArg<V>): AsyncIterable<R>;
  /** A GET of one of the gateway's REST routes (`path` from the gateway's root, e.g. `/api/datasets/…`), signed in. */
  get(path: string, signal?: AbortSignal): Promise<Response>;
}

/** A page of a Relay connection, flattened. */
export interface Page<T> {
  items: T[];
  totalCount: number;
  hasNextPage: boolean;
  /** Pass as `after` to get the next page. */
  endCursor: string | null;
}

/** Paging options shared by the list calls. */
export interface PageOptions {
  /**
   * How many items to return.
   * @defaultValue the server's page size
   */
  first?: number;
  /** The `endCursor` of the previous page. */
  after?: string;
}

/** Flattens a Relay connection into a {@link Page}. */
export function toPage<T>(connection: {
  edges: ReadonlyArray<{ node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  totalCount: number;
}): Page<T> {
  return {
    items: connection.edges.map((edge) => edge.node),
    totalCount: connection.totalCount,
    hasNextPage: connection.pageInfo.hasNextPage,
    endCursor: connection.pageInfo.endCursor ?? null,
  };
}
