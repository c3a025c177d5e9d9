import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  parse,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";
import { DefenceError, SecurityErrorCode } from "./errors.js";
import type { OperationLimits } from "./settings.js";

/** Which limit a document broke; sent to the client as `extensions.limit`. */
export type LimitName = "length" | "tokens" | "depth" | "aliases" | "directives" | "cost";

/** What the analysis measured: each operation's worst value (fragments counted where they are spread). */
export interface OperationMeasure {
  depth: number;
  aliases: number;
  directives: number;
  cost: number;
}

/** Arguments that bound how many items a list or connection returns. */
const SIZE_ARGS = ["first", "last", "limit", "take", "pageSize"];

const tooComplex = (limit: LimitName, max: number, actual: number | undefined, message: string) =>
  new DefenceError(400, SecurityErrorCode.QUERY_TOO_COMPLEX, message, {
    limit,
    max,
    ...(actual === undefined ? {} : { actual }),
  });

/**
 * A lower bound of depth, aliases and directives, read from the raw text in one pass over its characters, so that
 * the worst documents (thousands of aliases, deep nesting) are refused before graphql-js lexes them at all.
 *
 * @remarks Outside strings, comments and argument lists, every `{` opens a selection set (so the nesting of
 * braces is the depth of fields, before fragments are inlined), every `:` follows an alias, and every `@` starts a
 * directive. Inside parentheses, `{` opens an input object and `:` separates an argument from its value, so they
 * are not counted. Each count can only be lower than the real one, never higher: refusing on it is always right.
 */
export function prescan(source: string): { depth: number; aliases: number; directives: number } {
  let depth = 0;
  let maxDepth = 0;
  let parens = 0;
  let aliases = 0;
  let directives = 0;
  const n = source.length;
  for (let i = 0; i < n; i++) {
    const c = source.charCodeAt(i);
    if (c === 35 /* # */) {
      while (i < n && source.charCodeAt(i) !== 10 && source.charCodeAt(i) !== 13) i++;
    } else if (c === 34 /* " */) {
      if (source.startsWith('"""', i)) {
        const end = source.indexOf('"""', i + 3);
        i = end < 0 ? n : end + 2;
      } else {
        for (i++; i < n; i++) {
          const d = source.charCodeAt(i);
          if (d === 92 /* \ */) i++;
          else if (d === 34 || d === 10 || d === 13) break;
        }
      }
    } else if (c === 40 /* ( */) parens++;
    else if (c === 41 /* ) */) parens = Math.max(0, parens - 1);
    else if (parens === 0) {
      if (c === 123 /* { */) maxDepth = Math.max(maxDepth, ++depth);
      else if (c === 125 /* } */) depth = Math.max(0, depth - 1);
      else if (c === 58 /* : */) aliases++;
      else if (c === 64 /* @ */) directives++;
    } else if (c === 64) directives++;
  }
  return { depth: maxDepth, aliases, directives };
}

/**
 * Parses a query string under the length and token limits (after {@link prescan}).
 *
 * @remarks The token limit is enforced by graphql-js's lexer itself (`maxTokens`), so a document of a million
 * aliases is abandoned after `maxTokens` tokens instead of being parsed whole. A syntax error is answered with
 * Apollo's `GRAPHQL_PARSE_FAILED`, as the server would have.
 */
export function parseWithinLimits(source: string, limits: OperationLimits): DocumentNode {
  if (source.length > limits.maxQueryLength) {
    throw tooComplex(
      "length",
      limits.maxQueryLength,
      source.length,
      `The query is ${source.length} characters long; the limit is ${limits.maxQueryLength}`,
    );
  }
  const quick = prescan(source);
  if (quick.depth > limits.maxDepth) {
    throw tooComplex("depth", limits.maxDepth, undefined, `The query is more than ${limits.maxDepth} levels deep`);
  }
  if (quick.aliases > limits.maxAliases) {
    throw tooComplex("aliases", limits.maxAliases, undefined, `The query has more than ${limits.maxAliases} aliases`);
  }
  if (quick.directives > limits.maxDirectives) {
    throw tooComplex(
      "directives",
      limits.maxDirectives,
      undefined,
      `The query has more than ${limits.maxDirectives} directives`,
    );
  }
  try {
    return parse(source, { maxTokens: limits.maxTokens, noLocation: true });
  } catch (err) {
    const message = (err as Error).message;
    if (/Document contains more th\w+ \d+ tokens/.test(message)) {
      throw tooComplex("tokens", limits.maxTokens, undefined, `The query has more than ${limits.maxTokens} tokens`);
    }
    throw new DefenceError(400, SecurityErrorCode.GRAPHQL_PARSE_FAILED, (err as GraphQLError).message);
  }
}

/**
 * Measures every operation of a document in one walk: depth, aliases, directives and estimated cost.
 *
 * @remarks
 * Fragments are measured once each and reused wherever they are spread (a fragment's measure does not depend on
 * where it is used), so a document that spreads fragments inside fragments costs linear time to measure while its
 * measure grows as execution would. Cycles between fragments (invalid anyway) count as empty.
 *
 * Cost: a leaf field costs 0, a field of object type 1, a root mutation field 10, unless
 * {@link OperationLimits.fieldCosts} says otherwise; a list field costs its items times its `first`/`last`/`limit`
 * argument, or times `defaultListSize` when it has none; a `…Connection` costs 1 plus what its edges select times
 * that number (lists inside a connection, `edges` and `nodes`, are already counted by the connection's argument).
 */
export function measureDocument(
  document: DocumentNode,
  schema: GraphQLSchema | undefined,
  limits: Pick<OperationLimits, "defaultListSize" | "fieldCosts">,
  variables: Record<string, unknown> = {},
): OperationMeasure {
  return measureTracked(document, schema, limits, variables).measure;
}

/** {@link measureDocument}, and whether the measure read a variable (a list size given as `$first`, say). */
function measureTracked(
  document: DocumentNode,
  schema: GraphQLSchema | undefined,
  limits: Pick<OperationLimits, "defaultListSize" | "fieldCosts">,
  variables: Record<string, unknown>,
): { measure: OperationMeasure; readsVariables: boolean } {
  let readsVariables = false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const fragmentMeasures = new Map<string, OperationMeasure>();
  const inProgress = new Set<string>();

  const sizeOf = (value: ValueNode | undefined): number | undefined => {
    if (!value) return undefined;
    if (value.kind === Kind.INT) return Number(value.value);
    if (value.kind === Kind.VARIABLE) {
      readsVariables = true;
      const v = variables[value.name.value];
      return typeof v === "number" && Number.isFinite(v) ? v : undefined;
    }
    return undefined;
  };

  const measureSet = (
    set: SelectionSetNode,
    parent: GraphQLCompositeType | undefined,
    insideConnection: boolean,
    root: "mutation" | "other",
  ): OperationMeasure => {
    const out: OperationMeasure = { depth: 0, aliases: 0, directives: 0, cost: 0 };
    const add = (m: OperationMeasure, depthOffset: number) => {
      out.depth = Math.max(out.depth, m.depth + depthOffset);
      out.aliases += m.aliases;
      out.directives += m.directives;
      out.cost += m.cost;
    };
    for (const selection of set.selections) {
      out.directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        const field: GraphQLField<unknown, unknown> | undefined =
          parent && (isObjectType(parent) || isInterfaceType(parent))
            ? parent.getFields()[selection.name.value]
            : undefined;
        const named = field ? getNamedType(field.type) : undefined;
        const childType = named && isCompositeType(named) ? named : undefined;
        const connection = !!named && named.name.endsWith("Connection");
        const list = !!field && isListType(getNullableType(field.type));
        const coordinate = parent ? `${parent.name}.${selection.name.value}` : "";
        const base = limits.fieldCosts[coordinate] ?? (root === "mutation" ? 10 : childType ? 1 : 0);
        let multiplier = 1;
        if (connection || (list && !insideConnection)) {
          const arg = selection.arguments?.find((a) => SIZE_ARGS.includes(a.name.value));
          multiplier = Math.max(0, sizeOf(arg?.value) ?? limits.defaultListSize);
        }
        if (selection.alias) out.aliases += 1;
        const child = selection.selectionSet
          ? measureSet(selection.selectionSet, childType, connection, "other")
          : { depth: 0, aliases: 0, directives: 0, cost: 0 };
        out.depth = Math.max(out.depth, child.depth + 1);
        out.aliases += child.aliases;
        out.directives += child.directives;
        // A connection is one object whose edges repeat; a plain list repeats the field itself.
        out.cost += connection ? base + multiplier * child.cost : multiplier * (base + child.cost);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? schema?.getType(typeName) : parent;
        add(
          measureSet(selection.selectionSet, type && isCompositeType(type) ? type : undefined, insideConnection, root),
          0,
        );
      } else {
        const name = selection.name.value;
        let measure = fragmentMeasures.get(name);
        if (!measure) {
          const fragment = fragments.get(name);
          if (!fragment || inProgress.has(name)) continue;
          inProgress.add(name);
          const type = schema?.getType(fragment.typeCondition.name.value);
          measure = measureSet(
            fragment.selectionSet,
            type && isCompositeType(type) ? type : undefined,
            insideConnection,
            root,
          );
          measure.directives += fragment.directives?.length ?? 0;
          inProgress.delete(name);
          fragmentMeasures.set(name, measure);
        }
        add(measure, 0);
      }
    }
    return out;
  };

  const worst: OperationMeasure = { depth: 0, aliases: 0, directives: 0, cost: 0 };
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const rootType = schema?.getRootType(def.operation) ?? undefined;
    const m = measureSet(def.selectionSet, rootType, false, def.operation === "mutation" ? "mutation" : "other");
    m.directives +=
      (def.directives?.length ?? 0) +
      (def.variableDefinitions ?? []).reduce((n, v) => n + (v.directives?.length ?? 0), 0);
    worst.depth = Math.max(worst.depth, m.depth);
    worst.aliases = Math.max(worst.aliases, m.aliases);
    worst.directives = Math.max(worst.directives, m.directives);
    worst.cost = Math.max(worst.cost, m.cost);
  }
  return { measure: worst, readsVariables };
}

/**
 * Refuses a directive written twice on one node (`__typename @a @a @a …`, graphql-cop's directive overloading):
 * no non-repeatable directive may appear twice, and validation would report every copy separately.
 */
function checkRepeatedDirectives(document: DocumentNode, schema: GraphQLSchema | undefined): void {
  visit(document, {
    enter(node) {
      const directives = (node as { directives?: readonly { name: { value: string } }[] }).directives;
      if (!directives || directives.length < 2) return;
      const seen = new Set<string>();
      for (const d of directives) {
        const name = d.name.value;
        if (seen.has(name) && !schema?.getDirective(name)?.isRepeatable) {
          throw new DefenceError(400, SecurityErrorCode.QUERY_TOO_COMPLEX, `The directive @${name} is repeated`, {
            limit: "directives",
          });
        }
        seen.add(name);
      }
    },
  });
}

/**
 * Documents that passed every limit with a measure that read no variable, by the schema and limits they were
 * checked against. graphql-ws subscriptions reuse one parsed document per text (the gateway's document cache), so
 * a chat's subscription is measured once, not on every message.
 */
const passed = new WeakMap<
  DocumentNode,
  { schema: GraphQLSchema | undefined; limits: OperationLimits; measure: OperationMeasure }
>();

/**
 * Checks a parsed document against every limit; throws a {@link DefenceError} (`QUERY_TOO_COMPLEX`, with
 * `extensions.limit`) at the first one it breaks. Runs before validation, planning and execution.
 */
export function checkDocument(
  document: DocumentNode,
  schema: GraphQLSchema | undefined,
  limits: OperationLimits,
  variables: Record<string, unknown> = {},
): OperationMeasure {
  const hit = passed.get(document);
  if (hit && hit.schema === schema && hit.limits === limits) return hit.measure;
  checkRepeatedDirectives(document, schema);
  const { measure: m, readsVariables } = measureTracked(document, schema, limits, variables);
  if (m.depth > limits.maxDepth) {
    throw tooComplex(
      "depth",
      limits.maxDepth,
      m.depth,
      `The query is ${m.depth} levels deep; the limit is ${limits.maxDepth}`,
    );
  }
  if (m.aliases > limits.maxAliases) {
    throw tooComplex(
      "aliases",
      limits.maxAliases,
      m.aliases,
      `The query has ${m.aliases} aliases; the limit is ${limits.maxAliases}`,
    );
  }
  if (m.directives > limits.maxDirectives) {
    throw tooComplex(
      "directives",
      limits.maxDirectives,
      m.directives,
      `The query has ${m.directives} directives; the limit is ${limits.maxDirectives}`,
    );
  }
  if (m.cost > limits.maxCost) {
    throw tooComplex(
      "cost",
      limits.maxCost,
      m.cost,
      `The query's estimated cost is ${m.cost}; the limit is ${limits.maxCost}`,
    );
  }
  if (!readsVariables) passed.set(document, { schema, limits, measure: m });
  return m;
}
