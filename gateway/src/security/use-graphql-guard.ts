import type { NextFunction, Request, Response } from "express";
import { Kind, type DocumentNode, type GraphQLSchema } from "graphql";
import { DefenceError, SecurityErrorCode } from "./errors.js";
import type { SecuritySettings } from "./settings.js";
import { checkDocument, parseWithinLimits } from "./use-operation-limits.js";
import type { TrustedDocuments } from "./use-trusted-documents.js";

/** What the guard learned about a request's operations, left in `res.locals.graphql` for later middleware. */
export interface GuardedRequest {
  /** Root fields of every mutation in the request (e.g. `login`), to pick tighter rate limits. */
  mutationFields: string[];
}

interface Body {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } };
}

const mutationFieldsOf = (document: DocumentNode): string[] =>
  document.definitions.flatMap((d) =>
    d.kind === Kind.OPERATION_DEFINITION && d.operation === "mutation"
      ? d.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []))
      : [],
  );

const jsonParam = (value: unknown): unknown => {
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
};

export interface GraphqlGuardOptions {
  settings: Pick<SecuritySettings, "limits" | "batching">;
  /** The API schema once loaded (cost needs field types); before that, costs count every field as a leaf. */
  schema: () => GraphQLSchema | undefined;
  /** Set when trusted-documents mode is on. */
  trusted?: TrustedDocuments;
  refuse: (res: Response, error: DefenceError) => void;
}

/**
 * Checks every GraphQL-over-HTTP request before Apollo sees it: batching, trusted documents, the length and token
 * limits (while parsing), depth, aliases, directives and cost, and that GET runs queries only.
 *
 * @remarks It runs before Apollo's validation on purpose: validation of a document with many aliases is
 * quadratic (OverlappingFieldsCanBeMerged), so the limits must turn such a document away before it gets there.
 * The refusal costs one parse that stops at `maxTokens` and one linear walk.
 */
export function useGraphqlGuard(options: GraphqlGuardOptions) {
  const { limits, batching } = options.settings;

  const check = (body: Body, method: string): string[] => {
    if (options.trusted) {
      const query = options.trusted.resolve(body);
      body.query = query;
      // The query is now in the body; Apollo must not treat the request as an automatic persisted query.
      if (body.extensions?.persistedQuery) delete body.extensions.persistedQuery;
    }
    if (typeof body.query !== "string") {
      // Apollo answers a missing query (or an APQ hash it does not know) itself.
      return [];
    }
    const document = parseWithinLimits(body.query, limits);
    const variables =
      body.variables && typeof body.variables === "object" ? (body.variables as Record<string, unknown>) : {};
    checkDocument(document, options.schema(), limits, variables);
    const mutations = mutationFieldsOf(document);
    if (method === "GET" && mutations.length) {
      throw new DefenceError(405, SecurityErrorCode.BAD_REQUEST, "Mutations must be sent with POST, never GET");
    }
    return mutations;
  };

  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    // The time the checks took, for operators (and the security suite) to see that refusing is cheap.
    const timing = () =>
      res.setHeader("Server-Timing", `graphql-guard;dur=${(performance.now() - started).toFixed(3)}`);
    try {
      let mutationFields: string[] = [];
      if (req.method === "GET") {
        const q = req.query as Record<string, unknown>;
        if (q.query !== undefined || q.extensions !== undefined) {
          if (options.trusted && q.query === undefined) {
            throw new DefenceError(400, SecurityErrorCode.BAD_REQUEST, "Send persisted operations with POST");
          }
          const body: Body = { query: q.query, variables: jsonParam(q.variables) };
          mutationFields = check(body, "GET");
        }
      } else if (req.method === "POST") {
        const body = req.body as unknown;
        if (Array.isArray(body)) {
          if (!batching.enabled) {
            throw new DefenceError(
              400,
              SecurityErrorCode.BAD_REQUEST,
              "Batched requests are turned off; send one operation per request",
            );
          }
          if (body.length > batching.max) {
            throw new DefenceError(
              400,
              SecurityErrorCode.BAD_REQUEST,
              `A batch may hold at most ${batching.max} operations`,
            );
          }
          for (const item of body) mutationFields.push(...check((item ?? {}) as Body, "POST"));
        } else if (body && typeof body === "object") {
          mutationFields = check(body as Body, "POST");
        }
      }
      (res.locals as { graphql?: GuardedRequest }).graphql = { mutationFields };
      timing();
      next();
    } catch (err) {
      if (err instanceof DefenceError) {
        timing();
        if (err.status === 405) res.setHeader("Allow", "POST");
        options.refuse(res, err);
        return;
      }
      next(err);
    }
  };
}
