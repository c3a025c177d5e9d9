import { Directive, Field, ID, ObjectType } from "type-graphql";

/** The identity subgraph's user, referenced by id only; identity resolves its other fields. */
@ObjectType()
@Directive('@key(fields: "id", resolvable: false)')
export class User {
  @Field(() => ID)
  id: string;
}
