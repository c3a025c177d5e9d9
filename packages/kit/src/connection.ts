import "reflect-metadata";
import { ArgsType, Directive, Field, Int, ObjectType, type ClassType } from "type-graphql";
import { badInput } from "./errors.js";

/** Relay page info; every subgraph declares it, so it is shareable in the supergraph. */
@ObjectType()
@Directive("@shareable")
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field()
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true })
  startCursor?: string | null;

  @Field(() => String, { nullable: true })
  endCursor?: string | null;
}

/**
 * The Relay connection type of a node type: `<name>Edge { cursor node }` and the fields of `<name>Connection`
 * (`edges`, `pageInfo`, `totalCount`). Extend it so the connection keeps its own name and TSDoc:
 *
 * @example
 * ```ts
 * @ObjectType()
 * export class ConversationConnection extends connectionType(() => Conversation, "Conversation") {}
 * ```
 */
export function connectionType<T extends object>(node: () => ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field({ description: "Pass as `after` to read the rows after this one" })
    cursor: string;

    @Field(node)
    node: T;
  }

  // Abstract and never a field's type, so type-graphql emits only the decorated subclasses, which inherit these.
  @ObjectType()
  abstract class Connection {
    @Field(() => [Edge])
    edges: Edge[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    @Field(() => Int)
    totalCount: number;
  }
  return Connection;
}

/** `first` and `after`, the arguments of every list; extend it with the list's own filters. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: "How many to return: 1–100, default 20" })
  first?: number;

  @Field(() => String, { nullable: true, description: "An `endCursor` from the previous page" })
  after?: string;
}

/** Opaque cursors: base64url of the position, so clients never build them by hand. */
export const encodeCursor = (offset: number) => Buffer.from(`o:${offset}`).toString("base64url");

export function decodeCursor(cursor: string | null | undefined): number {
  if (!cursor) return 0;
  const match = /^o:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) throw badInput(`Invalid cursor: ${cursor}`);
  return Number(match[1]) + 1;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** Validates `first` (1–100, default 20) and returns the offset to start at. */
export function pageWindow(
  args: { first?: number | null; after?: string | null },
  max = 100,
): { offset: number; limit: number } {
  const limit = args.first ?? 20;
  if (limit < 1 || limit > max) throw badInput(`first must be between 1 and ${max}`);
  return { offset: decodeCursor(args.after), limit };
}

/** Builds a Relay connection from one page of rows and the total count. */
export function toPage<T>(rows: T[], offset: number, totalCount: number): Page<T> {
  const edges = rows.map((node, i) => ({ cursor: encodeCursor(offset + i), node }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage: offset + rows.length < totalCount,
      hasPreviousPage: offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
