import { Kind, parse, type ConstDirectiveNode, type DocumentNode } from "graphql";

/**
 * Who owns what, read from the supergraph's `join__*` directives: which subgraph resolves each field, and which
 * subgraphs can resolve each entity from a reference. The subscription forwarder plans with it.
 */
export interface SupergraphIndex {
  /** Subgraph name → URL in the supergraph (the gateway replaces URLs from its config). */
  subgraphs: Map<string, string>;
  /** Subgraphs that declare the type. */
  typeGraphs: Map<string, string[]>;
  /** Subgraphs that may resolve `Type.field`, when the supergraph restricts it. */
  fieldGraphs: Map<string, string[]>;
  /** Subgraphs that resolve the entity by its `id` key (`_entities`). */
  entityGraphs: Map<string, string[]>;
}

function arg(directive: ConstDirectiveNode, name: string): string | boolean | undefined {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  if (!value) return undefined;
  if (value.kind === Kind.ENUM || value.kind === Kind.STRING) return value.value;
  if (value.kind === Kind.BOOLEAN) return value.value;
  return undefined;
}

export function indexSupergraph(sdl: string | DocumentNode): SupergraphIndex {
  const doc = typeof sdl === "string" ? parse(sdl) : sdl;
  const enumToName = new Map<string, string>();
  const index: SupergraphIndex = {
    subgraphs: new Map(),
    typeGraphs: new Map(),
    fieldGraphs: new Map(),
    entityGraphs: new Map(),
  };
  for (const def of doc.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION && def.name.value === "join__Graph") {
      for (const value of def.values ?? []) {
        const graph = value.directives?.find((d) => d.name.value === "join__graph");
        if (!graph) continue;
        const name = String(arg(graph, "name"));
        enumToName.set(value.name.value, name);
        index.subgraphs.set(name, String(arg(graph, "url")));
      }
    }
  }
  const graphName = (d: ConstDirectiveNode) => enumToName.get(String(arg(d, "graph")));
  for (const def of doc.definitions) {
    if (
      def.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      def.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      def.kind !== Kind.OBJECT_TYPE_EXTENSION
    ) {
      continue;
    }
    const typeName = def.name.value;
    const joins = def.directives?.filter((d) => d.name.value === "join__type") ?? [];
    index.typeGraphs.set(typeName, [...new Set(joins.map(graphName).filter((g): g is string => !!g))]);
    const entity = joins.filter((d) => arg(d, "key") !== undefined && arg(d, "resolvable") !== false);
    if (entity.length)
      index.entityGraphs.set(
        typeName,
        entity.map(graphName).filter((g): g is string => !!g),
      );
    for (const field of def.fields ?? []) {
      const fieldJoins = field.directives?.filter((d) => d.name.value === "join__field" && arg(d, "graph")) ?? [];
      if (!fieldJoins.length) continue;
      const owners = fieldJoins.filter((d) => arg(d, "external") !== true).map(graphName);
      index.fieldGraphs.set(
        `${typeName}.${field.name.value}`,
        owners.filter((g): g is string => !!g),
      );
    }
  }
  return index;
}

/** The subgraphs that can resolve `type.field`. */
export function ownersOf(index: SupergraphIndex, type: string, field: string): string[] {
  return index.fieldGraphs.get(`${type}.${field}`) ?? index.typeGraphs.get(type) ?? [];
}
