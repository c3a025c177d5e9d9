import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from "@mikro-orm/core";
import { GraphQLDateTime } from "graphql-scalars";
import { Directive, Field, ID, Int, ObjectType } from "type-graphql";
import { LongTextType } from "./long-text.js";
import { KnowledgeDocument } from "./knowledge-document.js";

/**
 * One searchable piece of a document.
 *
 * @remarks The id is derived from (document, settings version, index), so an ingestion that is run again after a
 * crash writes the same ids: the vector store's upsert and the unique key keep every chunk exactly once.
 * `embedded` records that its vector is in the vector store, which is where a resumed ingestion picks up.
 */
@Entity({ tableName: "conversation_knowledge_chunk" })
@Index({ properties: ["knowledgeBaseId", "enabled"] })
@Index({ properties: ["document", "embedded"] })
@ObjectType()
@Directive('@key(fields: "id")')
export class KnowledgeChunk {
  [OptionalProps]?: "createdAt" | "updatedAt" | "enabled" | "edited" | "embedded" | "heading" | "parentContent";

  @PrimaryKey({ type: "string", length: 40 })
  @Field(() => ID)
  id: string;

  @ManyToOne(() => KnowledgeDocument, { deleteRule: "cascade" })
  document: Rel<KnowledgeDocument>;

  @Property({ type: "string", length: 36 })
  @Field(() => ID)
  knowledgeBaseId: string;

  @Property({ type: "integer" })
  @Field(() => Int, { description: "Position of the chunk within its document, from 0" })
  position: number;

  @Property({ type: LongTextType })
  @Field()
  content: string;

  @Property({ type: "integer" })
  @Field(() => Int, { description: "Character offset of the chunk in the document's text" })
  start: number;

  @Property({ type: "integer" })
  @Field(() => Int)
  end: number;

  @Property({ type: "string", length: 500, nullable: true })
  @Field(() => String, { nullable: true, description: 'Markdown heading path, e.g. "Setup > Linux"' })
  heading?: string | null;

  /** Parent-child chunking: the larger passage handed to the model when this chunk is recalled. */
  @Property({ type: LongTextType, nullable: true })
  @Field(() => String, { nullable: true })
  parentContent?: string | null;

  @Property({ type: "boolean" })
  @Field({ description: "Disabled chunks are never recalled" })
  enabled: boolean = true;

  @Property({ type: "boolean" })
  @Field({ description: "True once a user has edited the text" })
  edited: boolean = false;

  @Property({ type: "boolean" })
  embedded: boolean = false;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();
}
