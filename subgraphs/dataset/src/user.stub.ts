import { Directive, Field, ID, ObjectType } from "type-graphql";

/** The identity subgraph's `User`, known here by id only; the gateway fetches the rest from identity. */
@ObjectType()
@Directive('@key(fields: "id", resolvable: false)')
export class User {
  @Field(() => ID)
  id: string;
}
