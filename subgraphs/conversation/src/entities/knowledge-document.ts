import {
  BigIntType,
  Entity,
  Enum,
  Index,
  ManyToOne,
  OptionalProps,
  PrimaryKey,
  Property,
  type Rel,
} from "@mikro-orm/core";
import { randomUUID } from "node:crypto";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { KnowledgeBase } from "./knowledge-base.js";

export enum DocumentSource {
  UPLOAD = "UPLOAD",
  TEXT = "TEXT",
  DATASET = "DATASET",
}
registerEnumType(DocumentSource, { name: "DocumentSource" });

export enum DocumentStatus {
  QUEUED = "QUEUED",
  PARSING = "PARSING",
  EMBEDDING = "EMBEDDING",
  READY = "READY",
  FAILED = "FAILED",
}
registerEnumType(DocumentStatus, {
  name: "DocumentStatus",
  description: "Ingestion: QUEUED → PARSING (and chunking) → EMBEDDING → READY, or FAILED with a reason",
});

/**
 * One source of a knowledge base: an uploaded file, a text, or a dataset (a document per row).
 *
 * @remarks The raw content stays in the object store (`objectKey`) so that re-indexing never needs the user
 * again. `leaseUntil`/`leaseOwner` make ingestion a claimable job: a replica takes a document by moving the lease
 * forward with a conditional update, and a lease that lapsed belongs to a process that died.
 */
@Entity({ tableName: "conversation_knowledge_document" })
@Index({ properties: ["knowledgeBase", "createdAt"] })
@Index({ properties: ["status", "leaseUntil"] })
@ObjectType("Document")
@Directive('@key(fields: "id")')
export class KnowledgeDocument {
  [OptionalProps]?:
    "createdAt" | "updatedAt" | "progress" | "chunkCount" | "indexedVersion" | "metadata" | "status" | "attempts";

  @PrimaryKey({ type: "string", length: 36 })
  @Field(() => ID)
  id: string = randomUUID();

  // Rel<> keeps emitDecoratorMetadata from referencing the class at load time (STACK.md pitfall 11).
  @ManyToOne(() => KnowledgeBase, { deleteRule: "cascade" })
  knowledgeBase: Rel<KnowledgeBase>;

  @Property({ type: "string", length: 300 })
  @Field()
  title: string;

  @Enum({ items: () => DocumentSource, type: "string", length: 16 })
  @Field(() => DocumentSource)
  source: DocumentSource;

  /** The raw content in the platform's object store (uploads and texts). */
  @Property({ type: "string", length: 1024, nullable: true })
  objectKey?: string | null;

  @Property({ type: "string", length: 200, nullable: true })
  @Field(() => String, { nullable: true })
  mimeType?: string | null;

  // bigint in the database (files may pass 2 GiB), a number in JavaScript (exact up to 8 PiB).
  @Property({ type: new BigIntType("number"), nullable: true })
  @Field(() => Float, { nullable: true, description: "Size of the raw content in bytes" })
  bytes?: number | null;

  @Property({ type: "string", length: 16, nullable: true })
  @Field(() => String, { nullable: true, description: "txt, md, html, pdf, docx, csv or json (once parsed)" })
  format?: string | null;

  @Property({ type: "string", length: 36, nullable: true })
  @Field(() => ID, { nullable: true, description: "The dataset whose rows became this document" })
  datasetId?: string | null;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true, description: "How a dataset row becomes text: `{{column}}` placeholders" })
  rowTemplate?: string | null;

  @Property({ type: "json" })
  @Field(() => GraphQLJSON, { description: "Free-form attributes that searches can filter on" })
  metadata: Record<string, unknown> = {};

  @Enum({ items: () => DocumentStatus, type: "string", length: 16 })
  @Field(() => DocumentStatus)
  status: DocumentStatus = DocumentStatus.QUEUED;

  @Property({ type: "double" })
  @Field(() => Float, { description: "0 to 1 within the current status" })
  progress: number = 0;

  @Property({ type: "integer" })
  @Field(() => Int)
  chunkCount: number = 0;

  @Property({ type: "text", nullable: true })
  @Field(() => String, { nullable: true })
  error?: string | null;

  /** The knowledge base's `settingsVersion` this document was (or is being) indexed with. */
  @Property({ type: "integer" })
  indexedVersion: number = 0;

  @Property({ type: "integer" })
  attempts: number = 0;

  @Property({ type: "datetime", nullable: true })
  leaseUntil?: Date | null;

  @Property({ type: "string", length: 64, nullable: true })
  leaseOwner?: string | null;

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: "datetime" })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();
}
