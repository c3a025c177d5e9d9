import {
  ErrorCode,
  INTERNAL_TOKEN_HEADER,
  REQUEST_ID_HEADER,
  signInternalToken,
  traceMark,
  type Caller,
  type Logger,
} from "@ods/kit";
import {
  getOperationAST,
  GraphQLError,
  Kind,
  print,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
} from "graphql";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import {
  deepMerge,
  operationSelection,
  objectsAt,
  splitSelection,
  stripPlannerKeys,
  TYPENAME_ALIAS,
  ID_ALIAS,
  usedVariables,
  type EntityFetch,
  type Split,
} from "./plan.js";
import { subgraphHttp } from "../subgraph-fetcher.js";
import { ownersOf, type SupergraphIndex } from "./supergraph-index.js";

export interface ForwarderDeps {
  schema: () => GraphQLSchema;
  index: () => SupergraphIndex;
  /** Subgraph name → base URL (without `/graphql`). */
  urls: Record<string, string>;
  internalSecret: string;
  logger: Logger;
}

/** One client connection's view: who it is, and its lazily opened upstream connections, one per subgraph. */
export class ConnectionUpstreams {
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly deps: ForwarderDeps,
    readonly caller: Caller,
    readonly requestId: string,
  ) {}

  client(graph: string): Client {
    let client = this.clients.get(graph);
    if (!client) {
      const base = this.deps.urls[graph];
      if (!base) throw new Error(`No URL configured for subgraph ${graph}`);
      client = createClient({
        url: `${base.replace(/^http/, "ws")}/graphql`,
        webSocketImpl: WebSocket,
        lazy: true,
        // Kept a minute after its last subscription, like the web app's own connection: the next answer of a chat
        // (a message or so later) does not wait for a new connection and its `connection_init` first.
        lazyCloseTimeout: 60_000,
        // Never re-subscribe upstream by ourselves: a retry would replay from the client's original afterSeq and
        // repeat events. The client sees the error and resumes from the last seq it actually received.
        retryAttempts: 0,
        // Signed afresh on every (re)connect, so a long-lived client connection never presents an expired token.
        connectionParams: async () => ({
          [INTERNAL_TOKEN_HEADER]: await signInternalToken(this.deps.internalSecret, this.caller),
          [REQUEST_ID_HEADER]: this.requestId,
        }),
      });
      this.clients.set(graph, client);
    }
    return client;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.dispose()));
    this.clients.clear();
  }
}

/** How a subscription is run: the subgraph it goes to, the document sent there, the entity fetches after. */
interface SubscriptionPlan {
  operation: OperationDefinitionNode;
  graph: string;
  split: Split;
  /** The document sent to `graph`, printed. */
  upstream: string;
}

/**
 * Plans by parsed document and operation name, for the schema and supergraph index they were made with. The
 * gateway's graphql-ws server reuses one parsed document per text, so every chat of a web app (one document)
 * shares one plan instead of inlining, splitting and printing its document again.
 */
const plans = new WeakMap<
  DocumentNode,
  Map<string, { schema: GraphQLSchema; index: SupergraphIndex; plan: SubscriptionPlan | string }>
>();

/** The plan of `document`'s operation, or why it cannot run (a message for the client). */
function planOf(
  deps: ForwarderDeps,
  document: DocumentNode,
  operationName: string | undefined | null,
): SubscriptionPlan | string {
  const schema = deps.schema();
  const index = deps.index();
  let byName = plans.get(document);
  const hit = byName?.get(operationName ?? "");
  if (hit && hit.schema === schema && hit.index === index) return hit.plan;
  const plan = makePlan(schema, index, document, operationName);
  if (!byName) plans.set(document, (byName = new Map()));
  byName.set(operationName ?? "", { schema, index, plan });
  return plan;
}

function makePlan(
  schema: GraphQLSchema,
  index: SupergraphIndex,
  document: DocumentNode,
  operationName: string | undefined | null,
): SubscriptionPlan | string {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation !== "subscription") {
    return "Only subscriptions run over WebSocket; send queries and mutations over HTTP";
  }
  const selectionSet = operationSelection(document, operation);
  const rootFields = selectionSet.selections.filter((s) => s.kind === Kind.FIELD);
  const graphs = new Set(rootFields.flatMap((f) => ownersOf(index, "Subscription", f.name.value)));
  if (graphs.size !== 1) return "A subscription must select root fields of one subgraph only";
  const graph = [...graphs][0]!;
  const split = splitSelection(schema, index, selectionSet, schema.getSubscriptionType()!, graph);
  const upstream = print(documentFor(operation, split.selections, operation.variableDefinitions ?? []));
  return { operation, graph, split, upstream };
}

/**
 * Runs a subscription by forwarding it to the subgraph that owns its root field, then completing each event with
 * the fields other subgraphs own (`_entities` queries over HTTP), so a client may select
 * `message { conversation { model { name } owner { email } } }` in a payload as it would in a query.
 */
export async function* forwardSubscription(
  deps: ForwarderDeps,
  upstreams: ConnectionUpstreams,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
): AsyncGenerator<ExecutionResult> {
  const plan = planOf(deps, document, operationName);
  if (typeof plan === "string") {
    yield { errors: [new GraphQLError(plan)] };
    return;
  }
  const { operation, graph, split, upstream } = plan;
  const iterator = upstreams
    .client(graph)
    .iterate({ query: upstream, variables, operationName: operation.name?.value });
  try {
    for await (const result of iteratorWithErrors(iterator)) {
      traceMark("gateway.event");
      const out = result as ExecutionResult;
      if (out.data && split.fetches.length) {
        const errors = await runFetches(deps, upstreams.caller, operation, variables, [out.data], split.fetches);
        if (errors.length) (out as { errors?: unknown[] }).errors = [...(out.errors ?? []), ...errors];
      }
      if (out.data) stripPlannerKeys(out.data);
      // Upstream errors arrive as plain JSON; the graphql-ws server sends GraphQLError instances.
      if (out.errors) (out as { errors?: unknown }).errors = out.errors.map(toGraphQLError);
      yield out;
    }
  } finally {
    await iterator.return?.();
  }
}

/**
 * Passes upstream results through, turning what graphql-ws throws (the subgraph's errors as plain objects, or the
 * socket's close event) into a result with GraphQL errors, so the client learns why its subscription ended.
 */
async function* iteratorWithErrors(iterator: AsyncIterable<unknown>): AsyncGenerator<ExecutionResult> {
  try {
    for await (const result of iterator) yield result as ExecutionResult;
  } catch (err) {
    if (Array.isArray(err)) {
      yield { errors: err.map(toGraphQLError) };
      return;
    }
    yield {
      errors: [
        new GraphQLError("The subscription was interrupted; subscribe again with afterSeq to resume", {
          extensions: { code: ErrorCode.UPSTREAM_UNAVAILABLE },
        }),
      ],
    };
  }
}

function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const e = error as { message?: string; extensions?: Record<string, unknown>; path?: (string | number)[] };
  return new GraphQLError(e.message ?? "Subscription failed", { extensions: e.extensions, path: e.path });
}

function documentFor(
  operation: OperationDefinitionNode,
  selections: readonly SelectionNode[],
  variableDefinitions: OperationDefinitionNode["variableDefinitions"],
): DocumentNode {
  return {
    kind: Kind.DOCUMENT,
    definitions: [{ ...operation, variableDefinitions, selectionSet: { kind: Kind.SELECTION_SET, selections } }],
  };
}

/** Executes entity fetches level by level, merging each answer into the objects it belongs to. */
async function runFetches(
  deps: ForwarderDeps,
  caller: Caller,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  roots: unknown[],
  fetches: EntityFetch[],
): Promise<{ message: string; path?: string[] }[]> {
  const errors: { message: string; path?: string[] }[] = [];
  await Promise.all(
    fetches.map(async (fetch) => {
      const objects = objectsAt(roots, fetch.path).filter(
        (o) => o[TYPENAME_ALIAS] === fetch.typeName && o[ID_ALIAS] != null,
      );
      if (!objects.length) return;
      const schema = deps.schema();
      const split = splitSelection(
        schema,
        deps.index(),
        { kind: Kind.SELECTION_SET, selections: fetch.selections },
        schema.getType(fetch.typeName)!,
        fetch.graph,
      );
      const variableDefs = usedVariables(operation, split.selections);
      const query = `query OdsEntities($_odsReps: [_Any!]!${variableDefs.map((d) => `, ${print(d)}`).join("")}) {
        _entities(representations: $_odsReps) { ... on ${fetch.typeName} { ${split.selections.map(print).join(" ")} } }
      }`;
      const representations = objects.map((o) => ({ __typename: fetch.typeName, id: o[ID_ALIAS] }));
      try {
        const res = await fetch_(deps, caller, fetch.graph, query, { ...variables, _odsReps: representations });
        if (res.errors?.length) errors.push(...res.errors.map((e) => ({ message: e.message, path: fetch.path })));
        const entities = (res.data?._entities ?? []) as (Record<string, unknown> | null)[];
        entities.forEach((entity, i) => entity && deepMerge(objects[i]!, entity));
        if (split.fetches.length) {
          errors.push(...(await runFetches(deps, caller, operation, variables, objects, split.fetches)));
        }
      } catch (err) {
        deps.logger.warn({ err, graph: fetch.graph }, "entity fetch for a subscription event failed");
        errors.push({ message: `${fetch.graph} did not answer for ${fetch.typeName}`, path: fetch.path });
      }
    }),
  );
  return errors;
}

async function fetch_(
  deps: ForwarderDeps,
  caller: Caller,
  graph: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<ExecutionResult> {
  const res = await subgraphHttp(`${deps.urls[graph]}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [INTERNAL_TOKEN_HEADER]: await signInternalToken(deps.internalSecret, caller),
    },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  return (await res.json()) as ExecutionResult;
}
