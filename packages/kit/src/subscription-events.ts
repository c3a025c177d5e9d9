import { MapperKind, mapSchema } from "@graphql-tools/utils";
import {
  createSourceEventStream,
  defaultTypeResolver,
  execute,
  GraphQLInterfaceType,
  GraphQLUnionType,
  isUnionType,
  Kind,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type GraphQLInterfaceTypeConfig,
  type GraphQLSchema,
  type GraphQLTypeResolver,
  type GraphQLUnionTypeConfig,
  type OperationDefinitionNode,
} from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";

/** Which subscriptions' events {@link createSubscriber} executes the short way. */
export interface PassThroughSubscriptions {
  /** Root fields of the Subscription type whose resolver returns its event unchanged. */
  fields: readonly string[];
  /**
   * Abstract types of their events by name, each with a synchronous resolver (an event's type name): graphql-jit
   * cannot wait for a type, and type-graphql makes every `resolveType` asynchronous. Undefined from one falls back
   * to the type's own resolver.
   */
  resolveType?: Record<string, (value: unknown) => string | undefined>;
}

/** What graphql-ws's `subscribe` option may return. */
type Subscribed = AsyncGenerator<ExecutionResult> | ExecutionResult;

/**
 * graphql-ws's `subscribe` for a subgraph: graphql-js's `subscribe`, except that an event of a subscription whose
 * root field only hands its event on (one of `passThrough`) is executed with that field resolved to the event
 * itself, without coercing the operation's variables again, by a function compiled once for the operation
 * (graphql-jit).
 *
 * @remarks graphql-js executes the whole operation for every event: it coerces the variables afresh (for `chat`,
 * the message's whole `SendMessageInput`), calls the root field's resolver, which type-graphql wraps in argument
 * conversion and middleware, and walks the selection by interpreting the document — on each of a reply's events,
 * most of what an event cost. The root fields named here must return their event unchanged (their `subscribe` did
 * the work, checks included, once). An operation that uses a variable anywhere but in its root fields'
 * arguments, or selects its root fields through fragments, is executed the ordinary way, as is one graphql-jit
 * cannot compile.
 */
export function createSubscriber(passThrough: PassThroughSubscriptions): (args: ExecutionArgs) => Promise<Subscribed> {
  const fields = new Set(passThrough.fields);
  const schemas = new WeakMap<GraphQLSchema, GraphQLSchema>();
  // By schema, document and operation name ("" for a document's only operation).
  const compiledQueries = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, CompiledQuery | null>>>();

  const eventSchema = (schema: GraphQLSchema) => {
    let events = schemas.get(schema);
    if (!events) schemas.set(schema, (events = eventSchemaOf(schema, fields, passThrough.resolveType ?? {})));
    return events;
  };
  /** The compiled events' operation of `document`, or null when its events take the ordinary way. */
  const eventQuery = (schema: GraphQLSchema, document: DocumentNode, operationName?: string | null) => {
    let bySchema = compiledQueries.get(schema);
    if (!bySchema) compiledQueries.set(schema, (bySchema = new WeakMap()));
    let byOperation = bySchema.get(document);
    if (!byOperation) bySchema.set(document, (byOperation = new Map()));
    let compiled = byOperation.get(operationName ?? "");
    if (compiled === undefined) {
      const stripped = withoutRootArguments(document, operationName, fields);
      compiled = stripped ? compiledOrNull(eventSchema(schema), stripped, operationName ?? undefined) : null;
      byOperation.set(operationName ?? "", compiled);
    }
    return compiled;
  };

  return async (args) => {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source;
    const compiled = eventQuery(args.schema, args.document, args.operationName);
    if (compiled) return mapEvents(source, (event) => compiled.query(event, args.contextValue, {}));
    return mapEvents(source, (event) => execute({ ...args, rootValue: event }));
  };
}

/** graphql-jit's function for the operation, or null when it cannot compile it (the ordinary way then). */
function compiledOrNull(schema: GraphQLSchema, document: DocumentNode, operationName?: string): CompiledQuery | null {
  try {
    const result = compileQuery(schema, document, operationName);
    return isCompiledQuery(result) ? result : null;
  } catch {
    return null;
  }
}

/**
 * `schema` for executing events: the `fields` of its Subscription type take no arguments and resolve to the event
 * given, and the abstract types named in `resolveType` are resolved by those synchronous functions first.
 */
function eventSchemaOf(
  schema: GraphQLSchema,
  fields: ReadonlySet<string>,
  resolveType: Record<string, (value: unknown) => string | undefined>,
): GraphQLSchema {
  return mapSchema(schema, {
    // Without arguments too: the events' document has none for them, and graphql-js checks required ones.
    [MapperKind.SUBSCRIPTION_ROOT_FIELD]: (field, name) =>
      fields.has(name) ? { ...field, args: {}, resolve: (event: unknown) => event } : field,
    [MapperKind.ABSTRACT_TYPE]: (type) => {
      const first = resolveType[type.name];
      const config = type.toConfig();
      const fallback = config.resolveType ?? defaultTypeResolver;
      const resolve: GraphQLTypeResolver<unknown, unknown> = (value, context, info, abstractType) =>
        first?.(value) ?? fallback(value, context, info, abstractType);
      return isUnionType(type)
        ? new GraphQLUnionType({ ...(config as GraphQLUnionTypeConfig<unknown, unknown>), resolveType: resolve })
        : new GraphQLInterfaceType({
            ...(config as GraphQLInterfaceTypeConfig<unknown, unknown>),
            resolveType: resolve,
          });
    },
  });
}

/**
 * The subscription without its variables and its root fields' arguments, when every root field is one of `fields`
 * and no variable is used below them; else null.
 */
function withoutRootArguments(
  document: DocumentNode,
  operationName: string | null | undefined,
  fields: ReadonlySet<string>,
): DocumentNode | null {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation || (!operationName && operations.length !== 1)) return null;
  const roots = operation.selectionSet.selections;
  if (!roots.every((s): s is FieldNode => s.kind === Kind.FIELD && fields.has(s.name.value))) return null;
  // Variables used anywhere else (below the root fields, in directives, in fragments) keep the ordinary way.
  let used = 0;
  visit(document, { Variable: () => void used++ });
  let inRootArguments = 0;
  for (const field of roots)
    for (const arg of field.arguments ?? []) visit(arg, { Variable: () => void inRootArguments++ });
  const variableDefinitions = operation.variableDefinitions?.length ?? 0;
  // Each definition holds one Variable node of its own.
  if (used !== inRootArguments + variableDefinitions) return null;
  const stripped: OperationDefinitionNode = {
    ...operation,
    variableDefinitions: [],
    selectionSet: {
      ...operation.selectionSet,
      selections: roots.map((field) => ({ ...field, arguments: [] })),
    },
  };
  return { ...document, definitions: document.definitions.map((d) => (d === operation ? stripped : d)) };
}

/**
 * The events of `source`, each mapped by `map`, as an async generator whose `return` ends `source` at once (as
 * graphql-js's own mapping does), even while a read is pending: graphql-ws ends a subscription so.
 */
function mapEvents<T>(
  source: AsyncGenerator<T> | AsyncIterable<T>,
  map: (event: T) => ExecutionResult | Promise<ExecutionResult>,
): AsyncGenerator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  const mapped = async (result: IteratorResult<T>): Promise<IteratorResult<ExecutionResult>> =>
    result.done ? { done: true, value: undefined } : { done: false, value: await map(result.value) };
  const generator: AsyncGenerator<ExecutionResult> = {
    next: async () => mapped(await iterator.next()),
    return: async () => {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    throw: async (err: unknown) => {
      if (iterator.throw) return mapped(await iterator.throw(err));
      await iterator.return?.();
      throw err;
    },
    [Symbol.asyncIterator]: () => generator,
  };
  return generator;
}
