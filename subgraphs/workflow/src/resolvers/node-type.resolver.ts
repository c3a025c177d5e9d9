import { GraphQLJSON } from "graphql-scalars";
import { Authorized, Field, ObjectType, Query, Resolver } from "type-graphql";
import { configJsonSchema, NODE_TYPES } from "../services/node-types.js";

@ObjectType({ description: "A named input or output of a node type." })
export class NodeTypePort {
  @Field()
  name: string;

  @Field()
  description: string;
}

@ObjectType({ description: "A kind of node the engine can run." })
export class NodeType {
  @Field()
  name: string;

  @Field()
  category: string;

  @Field()
  description: string;

  @Field(() => [NodeTypePort])
  inputs: NodeTypePort[];

  @Field(() => [NodeTypePort])
  outputs: NodeTypePort[];

  @Field(() => GraphQLJSON, { description: "JSON Schema of the node's `config`." })
  configSchema: Record<string, unknown>;
}

@Resolver(() => NodeType)
export class NodeTypeResolver {
  @Authorized()
  @Query(() => [NodeType], { description: "The node library: what each node type reads, produces and is set with." })
  nodeTypes(): NodeType[] {
    return [...NODE_TYPES.values()].map((t) => ({
      name: t.name,
      category: t.category,
      description: t.description,
      inputs: t.inputs,
      outputs: t.outputs,
      configSchema: configJsonSchema(t),
    }));
  }
}
