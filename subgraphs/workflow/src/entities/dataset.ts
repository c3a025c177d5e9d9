import { Directive, Field, ID, ObjectType } from "type-graphql";

/**
 * The dataset subgraph's `Dataset`, referenced by id; this subgraph adds `workflows` (lineage: which of the
 * caller's workflows read it) and the dataset subgraph resolves its other fields.
 */
@ObjectType()
@Directive('@key(fields: "id")')
export class Dataset {
  @Field(() => ID)
  id: string;
}
