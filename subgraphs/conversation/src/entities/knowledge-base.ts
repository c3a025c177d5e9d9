import { Entity, Index, OptionalProps, PrimaryKey, Property } from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Directive, Field, ID, Int, ObjectType } from "type-graphql";

/** How documents are cut into chunks (see `knowledge/text/chunk.ts`). */
export interface StoredChunkSettings {
  strategy: "recursive" | "markdown" | "parent_child";
  size: number;
  overlap: number;
  parentSize?: number;
}

/** The retrieval a knowledge base uses unless a search or a conversation says otherwise. */
export interface StoredRetrievalSettings {
  mode: "VECTOR" | "KEYWORD" | "HYBRID";
  topK: number;
  scoreThreshold?: number | null;
  rerankModel?: string | null;
}

/**
 * A collection of documents that chat and workflows answer from, owned by one user.
 *
 * @remarks `settingsVersion` moves whenever the chunking or the embedding model changes: documents indexed under
 * an older version are re-indexed. `contentVersion` moves on every change to the searchable chunks, so each
 * replica knows when its in-memory keyword index is stale.
 */
@Entity({ tableName: "conversation_knowledge_base" })
@Index({ properties: ["ownerId", "updatedAt"] })
@ObjectType()
@Directive('@key(fields: "id")')
export class KnowledgeBase {
  [OptionalProps]?: "createdAt" | "updatedAt" | "description" | "settingsVersion" | "contentVersion" | "dimensions";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: "string", length: 200 })
  @Field()
  name: string;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  description?: string | null;

  @Property({ type: "string", length: 36 })
  @Field(() => ID)
  ownerId: string;

  @Property({ type: "string", length: 200 })
  @Field({ description: "The embedding model (its name in the model registry) that indexes every chunk." })
  embeddingModelId: string;

  /** Vector length of the embedding model, learnt from its first answer. */
  @Property({ type: "integer", nullable: true })
  @Field(() => Int, { nullable: true })
  dimensions?: number | null;

  @Property({ type: "json" })
  @Field(() => GraphQLJSON, {
    description: "`{ strategy: recursive | markdown | parent_child, size, overlap, parentSize }`, in characters",
  })
  chunking: StoredChunkSettings;

  @Property({ type: "json" })
  @Field(() => GraphQLJSON, {
    description: "Default retrieval: `{ mode: VECTOR | KEYWORD | HYBRID, topK, scoreThreshold, rerankModel }`",
  })
  retrieval: StoredRetrievalSettings;

  @Property({ type: "integer" })
  @Field(() => Int, { description: "Rises when chunking or the embedding model change (documents re-index)." })
  settingsVersion: number = 1;

  @Property({ type: "integer" })
  contentVersion: number = 0;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();
}
