import {
  createSourceEventStream,
  execute,
  GraphQLObjectType,
  GraphQLSchema,
  Kind,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type OperationDefinitionNode,
} from "graphql";

/** What graphql-ws's `subscribe` option may return. */
type Subscribed = AsyncGenerator<ExecutionResult> | ExecutionResult;

/**
 * graphql-ws's `subscribe` for a subgraph: graphql-js's `subscribe`, except that an event of a subscription whose
 * root field only hands its event on (one of `passThrough`) is executed with that field resolved to the event
 * itself, and without coercing the operation's variables again.
 *
 * @remarks graphql-js executes the whole operation for every event: it coerces the variables afresh (for `chat`,
 * the message's whole `SendMessageInput`) and calls the root field's resolver, which type-graphql wraps in argument
 * conversion and middleware — on each of a reply's events, a large share of what an event cost. The root fields
 * named here must return their event unchanged (their `subscribe` did the work, checks included, once). An
 * operation that uses a variable anywhere but in its root fields' arguments, or selects its root fields through
 * fragments, is executed the ordinary way.
 */
export function createSubscriber(passThrough: readonly string[]): (args: ExecutionArgs) => Promise<Subscribed> {
  const fields = new Set(passThrough);
  const schemas = new WeakMap<GraphQLSchema, GraphQLSchema>();
  const documents = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, DocumentNode | null>>();

  const eventSchema = (schema: GraphQLSchema) => {
    let events = schemas.get(schema);
    if (!events) schemas.set(schema, (events = withPassThroughRoot(schema, fields)));
    return events;
  };
  const eventDocument = (schema: GraphQLSchema, document: DocumentNode, operationName?: string | null) => {
    let bySchema = documents.get(schema);
    if (!bySchema) documents.set(schema, (bySchema = new WeakMap()));
    let stripped = bySchema.get(document);
    if (stripped === undefined) {
      stripped = withoutRootArguments(document, operationName, fields);
      // Cached per document only when the operation is the document's one: a named pick may differ.
      if (!operationName) bySchema.set(document, stripped);
    }
    return stripped;
  };

  return async (args) => {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source;
    const document = eventDocument(args.schema, args.document, args.operationName);
    const eventArgs: ExecutionArgs = document
      ? { ...args, schema: eventSchema(args.schema), document, variableValues: undefined }
      : args;
    return mapEvents(source, (event) => execute({ ...eventArgs, rootValue: event }));
  };
}

/** `schema` with the `fields` of its Subscription type taking no arguments and resolving to the event given. */
function withPassThroughRoot(schema: GraphQLSchema, fields: ReadonlySet<string>): GraphQLSchema {
  const subscription = schema.getSubscriptionType();
  if (!subscription) return schema;
  const config = subscription.toConfig();
  const root = new GraphQLObjectType({
    ...config,
    fields: Object.fromEntries(
      Object.entries(config.fields).map(([name, field]) => [
        name,
        // Without arguments too: the events' document has none for it, and graphql-js checks required ones.
        fields.has(name) ? { ...field, args: {}, resolve: (event: unknown) => event } : field,
      ]),
    ),
  });
  const schemaConfig = schema.toConfig();
  return new GraphQLSchema({
    ...schemaConfig,
    subscription: root,
    types: schemaConfig.types.filter((type) => type !== subscription),
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
