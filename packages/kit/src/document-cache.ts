import { parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema, type Source } from "graphql";

/** What {@link createDocumentCache} returns: `parse` and `validate` for graphql-ws's `useServer` options. */
export interface DocumentCache {
  /** The document for `source`, parsed once (by `parser`, graphql-js's `parse` unless given) while it stays cached. */
  parse(source: string | Source, parser?: (source: string) => DocumentNode): DocumentNode;
  /** graphql-js's `validate` with its standard rules, run once per schema and document. */
  validate(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[];
}

/**
 * Parsed and validated GraphQL documents by their text, for a graphql-ws server. Clients subscribe with the same
 * few documents again and again (one chat reply after another), and parsing and validating one costs about half
 * a millisecond each time, on the path to the first event; Apollo Server keeps such a cache for HTTP, graphql-ws
 * has none.
 *
 * @remarks At most `max` texts are kept, least recently used first out, so clients sending endless new documents
 * cannot grow it; validation results are held per document and schema, and go with them. Documents are shared
 * between operations: graphql-js never changes one.
 */
export function createDocumentCache(options: { max?: number } = {}): DocumentCache {
  const max = options.max ?? 1_000;
  const parsed = new Map<string, DocumentNode>();
  const validated = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly GraphQLError[]>>();
  return {
    parse(source, parser = (text) => parse(text)) {
      const text = typeof source === "string" ? source : source.body;
      const hit = parsed.get(text);
      if (hit) {
        // Map keeps insertion order: moving a hit to the end makes the first key the least recently used.
        parsed.delete(text);
        parsed.set(text, hit);
        return hit;
      }
      const document = parser(text);
      parsed.set(text, document);
      if (parsed.size > max) parsed.delete(parsed.keys().next().value!);
      return document;
    },
    validate(schema, document) {
      let bySchema = validated.get(schema);
      if (!bySchema) validated.set(schema, (bySchema = new WeakMap()));
      let errors = bySchema.get(document);
      if (!errors) bySchema.set(document, (errors = validate(schema, document)));
      return errors;
    },
  };
}
