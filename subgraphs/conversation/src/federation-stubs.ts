import { Directive, Field, ID, ObjectType } from "type-graphql";

/** The model subgraph's `Model`, referenced by id only; its fields are resolved there. */
@ObjectType()
@Directive('@key(fields: "id", resolvable: false)')
export class Model {
  @Field(() => ID)
  id: string;
}

/** The identity subgraph's `User`, referenced by id only. */
@ObjectType()
@Directive('@key(fields: "id", resolvable: false)')
export class User {
  @Field(() => ID)
  id: string;
}
