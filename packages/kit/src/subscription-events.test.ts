import {
  GraphQLError,
  GraphQLID,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  GraphQLUnionType,
  parse,
  type ExecutionResult,
} from "graphql";
import { describe, expect, it, vi } from "vitest";
import { createSubscriber, type PassThroughSubscriptions } from "./subscription-events.js";

// graphql-jit itself, with its compiles counted.
const compiles = vi.hoisted(() => ({ count: 0 }));
vi.mock("graphql-jit", async (importOriginal) => {
  const jit = await importOriginal<typeof import("graphql-jit")>();
  return {
    ...jit,
    compileQuery: (...args: Parameters<typeof jit.compileQuery>) => {
      compiles.count++;
      return jit.compileQuery(...args);
    },
  };
});

/** A schema whose `events` and `mapped` root fields stream `{ n }` objects; `mapped` changes each event. */
function testSchema(counts: { resolved: number; returned: number }, events = [1, 2, 3, 4]) {
  const Event = new GraphQLObjectType({
    name: "Event",
    fields: {
      n: { type: GraphQLInt },
      label: {
        type: GraphQLString,
        args: { prefix: { type: GraphQLString } },
        resolve: (e: { n: number }, args: { prefix?: string }) => `${args.prefix ?? ""}${e.n}`,
      },
    },
  });
  const source = () =>
    (async function* () {
      try {
        for (const n of events) yield { n };
      } finally {
        counts.returned++;
      }
    })();
  const subscription = new GraphQLObjectType({
    name: "Subscription",
    fields: {
      events: {
        type: Event,
        args: { id: { type: new GraphQLNonNull(GraphQLID) } },
        subscribe: () => source(),
        resolve: (e: unknown) => {
          counts.resolved++;
          return e;
        },
      },
      mapped: {
        type: Event,
        args: { id: { type: new GraphQLNonNull(GraphQLID) } },
        subscribe: () => source(),
        resolve: (e: unknown) => {
          counts.resolved++;
          return { n: (e as { n: number }).n * 10 };
        },
      },
    },
  });
  const query = new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLString } } });
  return new GraphQLSchema({ query, subscription });
}

async function firstThree(stream: AsyncGenerator<ExecutionResult> | ExecutionResult): Promise<unknown[]> {
  const iterator = stream as AsyncGenerator<ExecutionResult>;
  const results: unknown[] = [];
  for (let i = 0; i < 3; i++) results.push((await iterator.next()).value);
  await iterator.return(undefined);
  return results;
}

describe("createSubscriber", () => {
  it("executes a pass-through field's events without its resolver or its arguments, with the same results", async () => {
    const counts = { resolved: 0, returned: 0 };
    const schema = testSchema(counts);
    const subscribe = createSubscriber({ fields: ["events"] });
    const document = parse('subscription ($id: ID!) { events(id: $id) { n label(prefix: "#") } }');
    const results = await firstThree(await subscribe({ schema, document, variableValues: { id: "a" } }));
    expect(results).toEqual([1, 2, 3].map((n) => ({ data: { events: { n, label: `#${n}` } } })));
    expect(counts.resolved).toBe(0);
    expect(counts.returned).toBe(1);
  });

  it("compiles a subscription once, named or not, however often it is subscribed", async () => {
    const counts = { resolved: 0, returned: 0 };
    const schema = testSchema(counts);
    const subscribe = createSubscriber({ fields: ["events"] });
    const named = parse("subscription Events($id: ID!) { events(id: $id) { n } }");
    const anonymous = parse("subscription ($id: ID!) { events(id: $id) { n } }");
    const before = compiles.count;
    for (let i = 0; i < 3; i++) {
      for (const [document, operationName] of [
        [named, "Events"],
        [anonymous, undefined],
      ] as const) {
        const results = await firstThree(
          await subscribe({ schema, document, operationName, variableValues: { id: "a" } }),
        );
        expect(results).toEqual([1, 2, 3].map((n) => ({ data: { events: { n } } })));
      }
    }
    expect(compiles.count - before).toBe(2);
    expect(counts.resolved).toBe(0);
  });

  it("runs the resolver of a field not named, and of an operation using variables below its root", async () => {
    const counts = { resolved: 0, returned: 0 };
    const schema = testSchema(counts);
    const subscribe = createSubscriber({ fields: ["events"] });
    const mapped = await firstThree(
      await subscribe({ schema, document: parse("subscription { mapped(id: 1) { n } }") }),
    );
    expect(mapped).toEqual([10, 20, 30].map((n) => ({ data: { mapped: { n } } })));
    expect(counts.resolved).toBe(3);
    const below = parse("subscription ($id: ID!, $p: String) { events(id: $id) { label(prefix: $p) } }");
    const labelled = await firstThree(
      await subscribe({ schema, document: below, variableValues: { id: "a", p: "n=" } }),
    );
    expect(labelled).toEqual([1, 2, 3].map((n) => ({ data: { events: { label: `n=${n}` } } })));
    expect(counts.resolved).toBe(6);
  });

  it("returns errors of the subscription itself as a result, and a missing variable is still refused", async () => {
    const counts = { resolved: 0, returned: 0 };
    const subscribe = createSubscriber({ fields: ["events"] });
    const result = (await subscribe({
      schema: testSchema(counts),
      document: parse("subscription ($id: ID!) { events(id: $id) { n } }"),
      variableValues: {},
    })) as ExecutionResult;
    expect(result.errors?.[0]?.message).toMatch(/\$id/);
  });

  it("gives what graphql-js gives for a union, async fields and a failing field", async () => {
    const Token = new GraphQLObjectType({
      name: "Token",
      fields: {
        seq: { type: GraphQLInt },
        delta: { type: GraphQLString },
        later: { type: GraphQLString, resolve: async (e: { delta: string }) => `${e.delta}!` },
        boom: {
          type: GraphQLString,
          resolve: () => {
            throw new GraphQLError("no boom", { extensions: { code: "BAD" } });
          },
        },
      },
    });
    const Done = new GraphQLObjectType({ name: "Done", fields: { seq: { type: GraphQLInt } } });
    const Item = new GraphQLUnionType({
      name: "Item",
      types: [Token, Done],
      resolveType: (e: { kind: string }) => (e.kind === "token" ? "Token" : "Done"),
    });
    const items = [
      { kind: "token", seq: 1, delta: "a" },
      { kind: "token", seq: 2, delta: "b" },
      { kind: "done", seq: 3 },
    ];
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLString } } }),
      subscription: new GraphQLObjectType({
        name: "Subscription",
        fields: {
          items: {
            type: Item,
            args: { from: { type: new GraphQLNonNull(GraphQLInt) } },
            subscribe: async function* () {
              yield* items;
            },
            resolve: (e: unknown) => e,
          },
        },
      }),
    });
    const document = parse(`subscription ($from: Int!) { items(from: $from) {
      __typename
      ... on Token { seq d: delta later boom }
      ... on Done { seq }
    } }`);
    const run = async (passThrough: PassThroughSubscriptions) => {
      const stream = (await createSubscriber(passThrough)({
        schema,
        document,
        variableValues: { from: 0 },
      })) as AsyncGenerator<ExecutionResult>;
      const out: unknown[] = [];
      for await (const result of stream) out.push(JSON.parse(JSON.stringify(result)));
      return out;
    };
    // type-graphql's resolveType is asynchronous, as here: the synchronous one given for the type is used first.
    const slowly = async (e: { kind: string }) => (e.kind === "token" ? "Token" : "Done");
    (Item as { resolveType?: unknown }).resolveType = slowly;
    const typeName = (e: unknown) => ((e as { kind: string }).kind === "token" ? "Token" : "Done");
    const compiled = await run({ fields: ["items"], resolveType: { Item: typeName } });
    expect(compiled).toEqual(await run({ fields: [] }));
    expect(compiled[0]).toMatchObject({
      data: { items: { __typename: "Token", seq: 1, d: "a", later: "a!", boom: null } },
      errors: [{ message: "no boom", path: ["items", "boom"], extensions: { code: "BAD" } }],
    });
  });

  it("ends the source at once when returned while a read is pending", async () => {
    // A source like the subgraphs' (kit's abortable streams): return() settles a pending read with done.
    let wake: ((r: IteratorResult<unknown>) => void) | undefined;
    let returned = 0;
    const source: AsyncGenerator<unknown> = {
      next: () => new Promise((resolve) => (wake = resolve)),
      return: async () => {
        returned++;
        wake?.({ done: true, value: undefined });
        return { done: true, value: undefined };
      },
      throw: async (err: unknown) => {
        throw err;
      },
      [Symbol.asyncIterator]: () => source,
    } as AsyncGenerator<unknown>;
    const Event = new GraphQLObjectType({ name: "Event", fields: { n: { type: GraphQLInt } } });
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLString } } }),
      subscription: new GraphQLObjectType({
        name: "Subscription",
        fields: { events: { type: Event, subscribe: () => source, resolve: (e: unknown) => e } },
      }),
    });
    const stream = (await createSubscriber({ fields: ["events"] })({
      schema,
      document: parse("subscription { events { n } }"),
    })) as AsyncGenerator<ExecutionResult>;
    const pending = stream.next();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await stream.return(undefined);
    expect(returned).toBe(1);
    await expect(pending).resolves.toMatchObject({ done: true });
  });
});
