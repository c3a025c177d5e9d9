import { Entity, OptionalProps, PrimaryKey, Property, Unique } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType } from "type-graphql";

/**
 * A named prompt template with `{{variable}}` placeholders. The row carries its latest version's text, so lists
 * need no join; every version, the latest included, is also kept as a {@link PromptTemplateVersion}.
 */
@Entity({ tableName: "model_prompt_template" })
@ObjectType({ description: "A named, versioned prompt with {{variable}} placeholders (its latest version)" })
export class PromptTemplate {
  [OptionalProps]?: "createdAt" | "updatedAt" | "version";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 200, unique: true })
  @Field({ description: "What chat requests and workflows name the template by" })
  name: string;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  description?: string | null;

  @Property({ type: "integer" })
  @Field(() => Int, { description: "The latest version number (the first is 1)" })
  version: number = 1;

  @Property({ type: "text" })
  @Field({ description: "The latest version's text" })
  template: string;

  @Property({ type: "json" })
  @Field(() => [String], { description: "The latest version's variables, in the order they first appear" })
  variables: string[];

  @Property({ type: "string", length: 36, nullable: true, index: true })
  ownerId?: string | null;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime", onUpdate: () => new Date() })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();
}

/** One immutable version of a {@link PromptTemplate}. */
@Entity({ tableName: "model_prompt_template_version" })
@Unique({ properties: ["templateId", "version"] })
@ObjectType({ description: "One immutable version of a prompt template" })
export class PromptTemplateVersion {
  [OptionalProps]?: "createdAt";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 36, index: true })
  templateId: string;

  @Property({ type: "string", length: 200 })
  @Field({ description: "The template's name when this version was made" })
  name: string;

  @Property({ type: "integer" })
  @Field(() => Int)
  version: number;

  @Property({ type: "text" })
  @Field()
  template: string;

  @Property({ type: "json" })
  @Field(() => [String])
  variables: string[];

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  description?: string | null;

  @Property({ type: "string", length: 36, nullable: true })
  createdById?: string | null;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();
}
