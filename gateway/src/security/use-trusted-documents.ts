import { ErrorCode } from "@ods/kit";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse, print, visit, type ASTNode, type DefinitionNode, type DocumentNode, type SelectionNode } from "graphql";
import { DefenceError, SecurityErrorCode } from "./errors.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Manifest keys may carry the `sha256:` prefix of the GraphQL-over-HTTP persisted documents appendix. */
const bareHash = (hash: string) => hash.replace(/^sha256:/i, "").toLowerCase();

const sortKey = (node: SelectionNode | DefinitionNode) => print(node);

/**
 * The shape of an operation, independent of how a client printed it: whitespace and order of fields and
 * definitions do not matter, and unaliased `__typename` selections are dropped.
 *
 * @remarks urql's cache adds `__typename` to every selection set and prints with its own printer, and codegen's
 * manifest prints through graphql-tools with sorted selections; comparing normalized forms lets the web app send
 * its documents unchanged. Neither difference changes what an operation may read or write.
 */
export function normalizedHash(document: DocumentNode): string {
  const stripped = visit(document, {
    Field(node) {
      if (node.name.value === "__typename" && !node.alias && !node.directives?.length) return null;
      return undefined;
    },
    SelectionSet: {
      leave(node) {
        return { ...node, selections: [...node.selections].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)) };
      },
    },
  }) as DocumentNode;
  const definitions = [...stripped.definitions].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  return sha256(definitions.map((d) => print(d as ASTNode)).join("\n"));
}

/**
 * Reads the typed documents out of a codegen client-preset `graphql.ts` without running it: each document is a
 * JSON AST on one line, `export const XDocument = {"kind":"Document",…} as unknown as DocumentNode<…>;`.
 */
export function documentsFromGenerated(source: string): string[] {
  const docs: string[] = [];
  for (const match of source.matchAll(/^export const \w+Document = (\{"kind":"Document".*\}) as unknown as /gm)) {
    docs.push(print(JSON.parse(match[1]!) as DocumentNode));
  }
  return docs;
}

/**
 * Trusted documents: the operations the platform's own clients send, and nothing else.
 *
 * @remarks A request names a document by `extensions.persistedQuery.sha256Hash` (the client sends no query at
 * all) or sends the query itself, which runs only when its sha256, or the hash of its normalized form, is in the
 * manifest. Anything else is refused before it is parsed further, so arbitrary queries cannot even be tried.
 */
export class TrustedDocuments {
  private readonly byHash = new Map<string, string>();
  private readonly normalized = new Set<string>();

  constructor(documents: Iterable<[hash: string | undefined, query: string]>) {
    for (const [hash, query] of documents) {
      this.byHash.set(hash ? bareHash(hash) : sha256(query), query);
      this.byHash.set(sha256(query), query);
      this.normalized.add(normalizedHash(parse(query, { noLocation: true })));
    }
  }

  /** How many distinct documents are trusted. */
  get size(): number {
    return this.normalized.size;
  }

  /**
   * Loads manifests: a `.json` file is `{ "<hash>": "<query>" }` (the client preset's `persisted-documents.json`);
   * a `.ts` file is a codegen `graphql.ts` whose documents are read directly. Missing files are skipped.
   */
  static fromFiles(paths: string[]): TrustedDocuments {
    const entries: [string | undefined, string][] = [];
    for (const path of paths) {
      if (!existsSync(path)) continue;
      const text = readFileSync(path, "utf8");
      if (path.endsWith(".json")) {
        for (const [hash, query] of Object.entries(JSON.parse(text) as Record<string, string>)) {
          entries.push([hash, query]);
        }
      } else {
        for (const query of documentsFromGenerated(text)) entries.push([undefined, query]);
      }
    }
    return new TrustedDocuments(entries);
  }

  /**
   * Resolves a request body to the trusted query it may run; throws `PERSISTED_QUERY_NOT_FOUND` for an unknown
   * hash and `FORBIDDEN` for a query that is not in the manifest.
   */
  resolve(body: { query?: unknown; extensions?: unknown }): string {
    const hash = (body.extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined)?.persistedQuery
      ?.sha256Hash;
    if (typeof hash === "string") {
      const query = this.byHash.get(bareHash(hash));
      if (!query) {
        throw new DefenceError(400, SecurityErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound", {
          hash,
        });
      }
      return query;
    }
    if (typeof body.query === "string") {
      if (this.byHash.has(sha256(body.query))) return body.query;
      let document: DocumentNode | undefined;
      try {
        document = parse(body.query, { noLocation: true, maxTokens: 10_000 });
      } catch {
        document = undefined;
      }
      if (document && this.normalized.has(normalizedHash(document))) return body.query;
    }
    throw new DefenceError(
      403,
      ErrorCode.FORBIDDEN,
      "Only the platform's trusted documents run on this server; send a known sha256Hash",
    );
  }
}

/**
 * Where the manifest comes from when `ODS_TRUSTED_DOCUMENTS_PATH` is unset: the codegen output of the web app and
 * the SDK (`persisted-documents.json` when codegen emits it, else the typed documents in `graphql.ts`).
 */
export function defaultManifestPaths(): string[] {
  const repo = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
  return ["web/src/lib/gql", "packages/sdk/src/gql"].flatMap((dir) => [
    repo(`${dir}/persisted-documents.json`),
    repo(`${dir}/graphql.ts`),
  ]);
}
