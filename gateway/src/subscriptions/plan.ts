import {
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from "graphql";
import { ownersOf, type SupergraphIndex } from "./supergraph-index.js";

/** Aliases the planner adds to find entities in a result; removed before the result reaches the client. */
export const TYPENAME_ALIAS = "_odsT";
export const ID_ALIAS = "_odsId";

/** Fields of entities at `path` (response keys from the parent) that `graph` must resolve through `_entities`. */
export interface EntityFetch {
  path: string[];
  typeName: string;
  graph: string;
  selections: SelectionNode[];
}

export interface Split {
  selections: SelectionNode[];
  fetches: EntityFetch[];
}

const field = (name: string, alias?: string): FieldNode => ({
  kind: Kind.FIELD,
  name: { kind: Kind.NAME, value: name },
  alias: alias ? { kind: Kind.NAME, value: alias } : undefined,
});

/** `operation`'s selection with the fragment spreads replaced by the fragments of `document` (one tree). */
export function operationSelection(document: DocumentNode, operation: OperationDefinitionNode): SelectionSetNode {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
  return inlineFragments(operation.selectionSet, fragments);
}

/** Replaces fragment spreads with inline fragments, so the planner sees one tree. */
export function inlineFragments(
  selectionSet: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
): SelectionSetNode {
  return visit(selectionSet, {
    FragmentSpread(node) {
      const fragment = fragments[node.name.value];
      if (!fragment) throw new Error(`Unknown fragment ${node.name.value}`);
      return {
        kind: Kind.INLINE_FRAGMENT,
        typeCondition: fragment.typeCondition,
        directives: node.directives,
        selectionSet: inlineFragments(fragment.selectionSet, fragments),
      };
    },
  });
}

/**
 * Splits a selection into what `graph` can resolve itself and the entity fetches the rest needs.
 *
 * @remarks A field that `graph` does not resolve is removed; in its place the entity's `__typename` and `id` are
 * selected under private aliases, and an {@link EntityFetch} records which subgraph resolves the field for entities
 * at that path. The fetch's own selection is split again when it is executed, so chains across several subgraphs
 * (`message → conversation → model → owner`) resolve one hop at a time, each hop batched over all entities at
 * that path. Every entity in this platform is keyed by `id`.
 */
export function splitSelection(
  schema: GraphQLSchema,
  index: SupergraphIndex,
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType,
  graph: string,
  path: string[] = [],
): Split {
  const selections: SelectionNode[] = [];
  const fetches = new Map<string, EntityFetch>();
  let keysAdded = false;
  const addKeys = () => {
    if (keysAdded) return;
    keysAdded = true;
    selections.push(field("__typename", TYPENAME_ALIAS), field("id", ID_ALIAS));
  };
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const typeName = selection.typeCondition?.name.value ?? parent.name;
      const type = schema.getType(typeName)!;
      const inner = splitSelection(schema, index, selection.selectionSet, type, graph, path);
      selections.push({ ...selection, selectionSet: { kind: Kind.SELECTION_SET, selections: inner.selections } });
      for (const f of inner.fetches) mergeFetch(fetches, f);
      continue;
    }
    if (selection.kind !== Kind.FIELD) continue;
    const name = selection.name.value;
    if (name === "__typename" || !(isObjectType(parent) || isInterfaceType(parent))) {
      selections.push(selection);
      continue;
    }
    const owners = ownersOf(index, parent.name, name);
    if (owners.includes(graph) || owners.length === 0) {
      if (!selection.selectionSet) {
        selections.push(selection);
        continue;
      }
      const fieldType = getNamedType(parent.getFields()[name]!.type);
      const key = selection.alias?.value ?? name;
      const inner = splitSelection(schema, index, selection.selectionSet, fieldType, graph, [...path, key]);
      selections.push({ ...selection, selectionSet: { kind: Kind.SELECTION_SET, selections: inner.selections } });
      for (const f of inner.fetches) mergeFetch(fetches, f);
      continue;
    }
    const resolvers = index.entityGraphs.get(parent.name) ?? [];
    const target = owners.find((g) => resolvers.includes(g));
    if (!target) throw new Error(`No subgraph can resolve ${parent.name}.${name} from a reference`);
    addKeys();
    mergeFetch(fetches, { path, typeName: parent.name, graph: target, selections: [selection] });
  }
  return { selections, fetches: [...fetches.values()] };
}

function mergeFetch(fetches: Map<string, EntityFetch>, fetch: EntityFetch): void {
  const key = `${fetch.path.join(".")}|${fetch.typeName}|${fetch.graph}`;
  const existing = fetches.get(key);
  if (existing) existing.selections.push(...fetch.selections);
  else fetches.set(key, { ...fetch, selections: [...fetch.selections] });
}

/** The variable definitions of `operation` that `selections` use (a document may not declare unused ones). */
export function usedVariables(operation: OperationDefinitionNode, selections: readonly SelectionNode[]) {
  const used = new Set<string>();
  for (const selection of selections) {
    visit(selection, {
      Variable(node) {
        used.add(node.name.value);
      },
    });
  }
  return (operation.variableDefinitions ?? []).filter((d) => used.has(d.variable.name.value));
}

/** The objects found at `path` under each of `roots`, descending through lists. */
export function objectsAt(roots: unknown[], path: string[]): Record<string, unknown>[] {
  let current: unknown[] = roots;
  for (const key of path) {
    current = current.flatMap((value) => {
      const next = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
      return Array.isArray(next) ? next.flat(Infinity) : [next];
    });
  }
  return current.filter((v): v is Record<string, unknown> => !!v && typeof v === "object");
}

/** Merges `source` into `target`, recursing into objects and lists element by element. */
export function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (Array.isArray(existing) && Array.isArray(value)) {
      value.forEach((item, i) => {
        if (item && typeof item === "object" && existing[i] && typeof existing[i] === "object") {
          deepMerge(existing[i] as Record<string, unknown>, item as Record<string, unknown>);
        } else existing[i] = item;
      });
    } else if (existing && value && typeof existing === "object" && typeof value === "object") {
      deepMerge(existing as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
}

/** Removes the planner's private aliases from a result, in place. */
export function stripPlannerKeys(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) stripPlannerKeys(item);
  } else if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    delete record[TYPENAME_ALIAS];
    delete record[ID_ALIAS];
    for (const child of Object.values(record)) stripPlannerKeys(child);
  }
}
