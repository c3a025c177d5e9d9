import type { GraphQLSchema } from "graphql";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { DocumentCache } from "@ods/kit";
import type { Context, SubscribePayload } from "graphql-ws";
import { DefenceError, SecurityErrorCode } from "./errors.js";
import type { SecuritySettings } from "./settings.js";
import { checkDocument, parseWithinLimits } from "./use-operation-limits.js";
import type { TrustedDocuments } from "./use-trusted-documents.js";

/** Removes graphql-js's "Did you mean …?" hints, which spell out field and type names of the schema. */
export const withoutSuggestions = (message: string) => message.replace(/\s*Did you mean [^?]*\?/g, "");

/**
 * The same defences for graphql-ws as for HTTP: trusted documents, length, tokens, depth, aliases, directives and
 * cost on every `subscribe` message, a cap on subscriptions open at once on one connection, the init timeout,
 * and no schema hints in errors where suggestions are off. Spread the result into `useServer`'s options.
 *
 * @remarks Authentication stays in `onConnect` (the credential in `connection_init`); a client that sends no
 * `connection_init` within `initTimeoutMs` is disconnected with close code 4408.
 */
export function wsLimits<E>(options: {
  settings: Pick<SecuritySettings, "limits" | "ws" | "suggestions">;
  schema: () => GraphQLSchema | undefined;
  trusted?: TrustedDocuments;
  /** Parsed documents to reuse (the same cache as `useServer`'s `parse`, so a document is parsed once). */
  documents?: DocumentCache;
}) {
  const { limits, ws, suggestions } = options.settings;
  return {
    connectionInitWaitTimeout: ws.initTimeoutMs,
    onSubscribe: (ctx: Context<Record<string, unknown>, E>, _id: string, payload: SubscribePayload) => {
      try {
        // graphql-ws registers the new id before this hook runs, so the count includes this subscription.
        if (Object.keys(ctx.subscriptions).length > ws.maxSubscriptions) {
          throw new DefenceError(
            429,
            SecurityErrorCode.BAD_REQUEST,
            `At most ${ws.maxSubscriptions} subscriptions may be open on one connection`,
          );
        }
        const query = options.trusted ? options.trusted.resolve(payload) : payload.query;
        // A document named by hash becomes the query graphql-ws parses next.
        (payload as { query: string }).query = query;
        const withinLimits = (source: string) => parseWithinLimits(source, limits);
        const document = options.documents ? options.documents.parse(query, withinLimits) : withinLimits(query);
        checkDocument(document, options.schema(), limits, payload.variables ?? {});
      } catch (err) {
        if (err instanceof GraphQLError) return [err];
        throw err;
      }
      return undefined;
    },
    onError: (
      _ctx: Context<Record<string, unknown>, E>,
      _id: string,
      _payload: SubscribePayload,
      errors: readonly GraphQLError[],
    ) =>
      suggestions
        ? undefined
        : errors.map((e): GraphQLFormattedError => ({ ...e.toJSON(), message: withoutSuggestions(e.message) })),
  };
}
