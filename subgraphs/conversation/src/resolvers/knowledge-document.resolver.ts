import { badInput, connectionType, notFound, PageArgs, requireUser, type SubgraphContext } from "@ods/kit";
import { GraphQLJSON } from "graphql-scalars";
import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
  Subscription,
} from "type-graphql";
import { Citation } from "../entities/citation.js";
import { KnowledgeBase, KnowledgeChunk, KnowledgeDocument } from "../entities/index.js";
import { documentStatusStream } from "../knowledge/status-stream.js";
import type { ConversationServices } from "../services/index.js";
import { abortable } from "./abortable.js";
import { loaders } from "./loaders.js";

type Ctx = SubgraphContext<ConversationServices>;

@ObjectType()
export class KnowledgeChunkConnection extends connectionType(() => KnowledgeChunk, "KnowledgeChunk") {}

/**
 * The dataset subgraph's `Dataset`; this subgraph adds `knowledgeBases` (lineage: which of the knowledge bases the
 * caller may see hold documents made from it).
 */
@ObjectType()
@Directive('@key(fields: "id")')
export class Dataset {
  @Field(() => ID)
  id: string;
}

@InputType()
export class AddDocumentInput {
  @Field(() => ID)
  knowledgeBaseId: string;

  @Field(() => String, {
    nullable: true,
    description: "Defaults to the file name, the text's first line or the dataset",
  })
  title?: string;

  @Field(() => String, { nullable: true, description: "The document's text (Markdown is understood)" })
  text?: string;

  @Field(() => String, {
    nullable: true,
    description: "The key of an uploaded file (createUploadUrl): txt, md, html, pdf, docx, csv or json",
  })
  storagePath?: string;

  @Field(() => String, { nullable: true, description: "The uploaded file's media type, when its name does not tell" })
  mimeType?: string;

  @Field(() => ID, { nullable: true, description: "A dataset: each row becomes text through `textTemplate`" })
  datasetId?: string;

  @Field(() => String, {
    nullable: true,
    description: "`{{column}}` placeholders, e.g. `{{name}}: {{description}}`; default: every column as `name: value`",
  })
  textTemplate?: string;

  @Field(() => GraphQLJSON, { nullable: true, description: "Attributes that searches can filter on" })
  metadata?: Record<string, unknown>;
}

@InputType()
export class UpdateChunkInput {
  @Field(() => String, { nullable: true, description: "New text (embedded again at once)" })
  content?: string;

  @Field(() => Boolean, { nullable: true, description: "Disabled chunks are never recalled" })
  enabled?: boolean;
}

@Resolver(() => KnowledgeDocument)
export class KnowledgeDocumentResolver {
  @Authorized()
  @Query(() => KnowledgeDocument, {
    nullable: true,
    description: "NOT_FOUND when missing or its knowledge base is neither the caller's nor shared with them.",
  })
  async document(@Arg("id", () => ID) id: string, @Ctx() { em, caller, services }: Ctx): Promise<KnowledgeDocument> {
    return services.knowledge.getDocument(em, caller, id);
  }

  @Authorized()
  @Mutation(() => KnowledgeDocument, {
    description:
      "Adds a document from exactly one of `text`, `storagePath` or `datasetId` and queues its ingestion " +
      "(follow it with `documentStatus`). Owners, editors and admins of the knowledge base.",
  })
  async addDocument(
    @Arg("input", () => AddDocumentInput) input: AddDocumentInput,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<KnowledgeDocument> {
    return services.knowledge.addDocument(em, caller, input);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Deletes the document, its chunks and its vectors." })
  async deleteDocument(@Arg("id", () => ID) id: string, @Ctx() { em, caller, services }: Ctx): Promise<boolean> {
    return services.knowledge.deleteDocument(em, caller, id);
  }

  @Authorized()
  @Mutation(() => KnowledgeDocument, { description: "Ingests the document again from its stored content." })
  async reindexDocument(
    @Arg("id", () => ID) id: string,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<KnowledgeDocument> {
    return services.knowledge.reindexDocument(em, caller, id);
  }

  @Authorized()
  @Mutation(() => KnowledgeChunk, { description: "Edits a chunk's text, or disables or enables it." })
  async updateChunk(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateChunkInput) input: UpdateChunkInput,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<KnowledgeChunk> {
    return services.knowledge.updateChunk(em, caller, id, input);
  }

  @Authorized()
  @Subscription(() => KnowledgeDocument, {
    description:
      "A document as stored now and each time its ingestion moves, ending at READY or FAILED; given " +
      "`knowledgeBaseId` instead, every document of that knowledge base until you unsubscribe.",
    subscribe: async ({ args, context }) => {
      const { caller, em, services } = context as Ctx;
      requireUser(caller);
      const { documentId, knowledgeBaseId } = args as { documentId?: string | null; knowledgeBaseId?: string | null };
      if (Boolean(documentId) === Boolean(knowledgeBaseId)) {
        throw badInput("Give exactly one of documentId or knowledgeBaseId", { documentId: "or knowledgeBaseId" });
      }
      if (documentId && !(await services.knowledge.findDocument(em, caller, documentId))) {
        throw notFound("Document", documentId);
      }
      if (knowledgeBaseId && !(await services.knowledge.find(em, caller, knowledgeBaseId))) {
        throw notFound("Knowledge base", knowledgeBaseId);
      }
      const target = documentId ? { documentId } : { knowledgeBaseId: knowledgeBaseId! };
      return abortable((signal) => documentStatusStream(services.knowledgeStreams, target, signal));
    },
  })
  documentStatus(
    @Root() document: KnowledgeDocument,
    @Arg("documentId", () => ID, { nullable: true }) _documentId?: string,
    @Arg("knowledgeBaseId", () => ID, { nullable: true }) _knowledgeBaseId?: string,
  ): KnowledgeDocument {
    return document;
  }

  @FieldResolver(() => KnowledgeBase)
  async knowledgeBase(@Root() doc: KnowledgeDocument, @Ctx() { em }: Ctx): Promise<KnowledgeBase> {
    return em.findOneOrFail(KnowledgeBase, { id: doc.knowledgeBase.id });
  }

  @FieldResolver(() => KnowledgeChunkConnection, { description: "The chunk browser: chunks in document order." })
  async chunks(
    @Root() doc: KnowledgeDocument,
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() { em, services }: Ctx,
  ): Promise<KnowledgeChunkConnection> {
    return services.knowledge.chunks(em, doc, args);
  }

  @FieldResolver(() => Dataset, { nullable: true, description: "The dataset whose rows became this document" })
  dataset(@Root() doc: KnowledgeDocument): Dataset | null {
    return doc.datasetId ? { id: doc.datasetId } : null;
  }
}

@Resolver(() => Dataset)
export class DatasetLineageResolver {
  @FieldResolver(() => [KnowledgeBase], {
    description:
      "Lineage: the knowledge bases the caller owns or that are shared with them with documents made from this dataset.",
  })
  async knowledgeBases(@Root() dataset: Dataset, @Ctx() { em, caller, services }: Ctx): Promise<KnowledgeBase[]> {
    if (!caller.userId) return [];
    const visible = await services.knowledge.visibleWhere(em, caller);
    return em.find(
      KnowledgeBase,
      { ...(visible as object), id: { $in: await documentKnowledgeBases(em, dataset.id) } },
      { orderBy: { name: "asc" } },
    );
  }
}

async function documentKnowledgeBases(em: Ctx["em"], datasetId: string): Promise<string[]> {
  const docs = await em.find(KnowledgeDocument, { datasetId }, { fields: ["knowledgeBase"] });
  return [...new Set(docs.map((d) => d.knowledgeBase.id))];
}

@Resolver(() => Citation)
export class CitationResolver {
  @FieldResolver(() => Int, { description: "The marker in the reply's text (`[index]`); the same as `marker`." })
  index(@Root() citation: Citation): number {
    return citation.marker;
  }

  @FieldResolver(() => KnowledgeDocument, {
    nullable: true,
    description: "The cited document; null once it has been deleted (the citation keeps its name and snippet).",
  })
  async document(@Root() citation: Citation, @Ctx() ctx: Ctx): Promise<KnowledgeDocument | null> {
    return loaders(ctx).documents.load(citation.documentId);
  }
}
