import { composeServices } from "@apollo/composition";
import { parse, print, Kind, type OperationDefinitionNode } from "graphql";
import { describe, expect, it } from "vitest";
import { deepMerge, objectsAt, splitSelection, stripPlannerKeys } from "../src/subscriptions/plan.js";
import { indexSupergraph, ownersOf } from "../src/subscriptions/supergraph-index.js";

const link = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])`;
const composed = composeServices([
  {
    name: "events",
    url: "http://events/graphql",
    typeDefs: parse(`${link}
      type Query { ping: Boolean }
      type Subscription { events(topic: String!): Event! }
      type Event { seq: Int! item: Item }
      type Item @key(fields: "id", resolvable: false) { id: ID! }`),
  },
  {
    name: "items",
    url: "http://items/graphql",
    typeDefs: parse(`${link}
      type Query { item(id: ID!): Item }
      type Item @key(fields: "id") { id: ID! name(upper: Boolean): String! owner: User }
      type User @key(fields: "id", resolvable: false) { id: ID! }`),
  },
  {
    name: "users",
    url: "http://users/graphql",
    typeDefs: parse(`${link}
      type Query { me: User }
      type User @key(fields: "id") { id: ID! email: String! }`),
  },
]);
if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join("\n"));
const schema = composed.schema.toAPISchema().toGraphQLJSSchema();
const index = indexSupergraph(composed.supergraphSdl);

const operation = (source: string) => parse(source).definitions[0] as OperationDefinitionNode;
const printSelections = (selections: readonly unknown[]) =>
  print({ kind: Kind.SELECTION_SET, selections } as never).replace(/\s+/g, " ");

describe("supergraph index", () => {
  it("knows which subgraph resolves each field", () => {
    expect(ownersOf(index, "Subscription", "events")).toEqual(["events"]);
    expect(ownersOf(index, "Item", "name")).toEqual(["items"]);
    expect(ownersOf(index, "User", "email")).toEqual(["users"]);
    expect(index.entityGraphs.get("Item")).toEqual(["items"]);
    expect(index.subgraphs.get("users")).toBe("http://users/graphql");
  });
});

describe("splitting a subscription across subgraphs", () => {
  const op = operation(
    `subscription S($upper: Boolean) { events(topic: "t") { seq item { id name(upper: $upper) owner { email } } } }`,
  );

  it("keeps what the owning subgraph resolves and defers the rest to entity fetches", () => {
    const split = splitSelection(schema, index, op.selectionSet, schema.getSubscriptionType()!, "events");
    expect(printSelections(split.selections)).toBe(
      '{ events(topic: "t") { seq item { id _odsT: __typename _odsId: id } } }',
    );
    expect(split.fetches).toHaveLength(1);
    const [fetch] = split.fetches;
    expect(fetch).toMatchObject({ path: ["events", "item"], typeName: "Item", graph: "items" });

    const next = splitSelection(
      schema,
      index,
      { kind: Kind.SELECTION_SET, selections: fetch!.selections },
      schema.getType("Item")!,
      "items",
    );
    expect(printSelections(next.selections)).toBe("{ name(upper: $upper) owner { _odsT: __typename _odsId: id } }");
    expect(next.fetches).toMatchObject([{ path: ["owner"], typeName: "User", graph: "users" }]);
  });

  it("needs no fetch when one subgraph resolves everything", () => {
    const split = splitSelection(
      schema,
      index,
      operation(`subscription { events(topic: "t") { seq } }`).selectionSet,
      schema.getSubscriptionType()!,
      "events",
    );
    expect(split.fetches).toEqual([]);
  });
});

describe("result helpers", () => {
  it("finds objects through lists, merges answers and strips private keys", () => {
    const data = { events: { item: [{ _odsT: "Item", _odsId: "1" }, null, { _odsT: "Item", _odsId: "2" }] } };
    const items = objectsAt([data], ["events", "item"]);
    expect(items).toHaveLength(2);
    deepMerge(items[0]!, { name: "one", owner: { _odsT: "User", _odsId: "u" } });
    deepMerge(items[0]!, { owner: { email: "a@b.c" } });
    stripPlannerKeys(data);
    expect(data.events.item[0]).toEqual({ name: "one", owner: { email: "a@b.c" } });
  });
});
