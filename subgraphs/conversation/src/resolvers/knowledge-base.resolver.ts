import {
  badInput,
  connectionType,
  PageArgs,
  requireUser,
  ResourceAccess,
  ResourceShareType,
  ShareInput,
  toResourceShare,
  type SubgraphContext,
} from "@ods/kit";
import { GraphQLJSON } from "graphql-scalars";
import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  Float,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
  registerEnumType,
} from "type-graphql";
import { DocumentStatus, KnowledgeBase, KnowledgeChunk, KnowledgeDocument } from "../entities/index.js";
import { Model, User } from "../federation-stubs.js";
import type { RetrievedChunkData } from "../knowledge/retrieval-service.js";
import type { ConversationServices } from "../services/index.js";
import { loaders } from "./loaders.js";

type Ctx = SubgraphContext<ConversationServices>;

export enum RetrievalMode {
  VECTOR = "VECTOR",
  KEYWORD = "KEYWORD",
  HYBRID = "HYBRID",
}
registerEnumType(RetrievalMode, {
  name: "RetrievalMode",
  description: "VECTOR (embeddings), KEYWORD (BM25) or HYBRID (both, fused by reciprocal rank)",
});

@ObjectType()
export class KnowledgeBaseConnection extends connectionType(() => KnowledgeBase, "KnowledgeBase") {}

@ObjectType()
export class DocumentConnection extends connectionType(() => KnowledgeDocument, "Document") {}

@ArgsType()
class KnowledgeBasesArgs extends PageArgs {
  @Field(() => String, { nullable: true, description: "Only knowledge bases whose name contains this text" })
  search?: string;
}

@ArgsType()
class DocumentsArgs extends PageArgs {
  @Field(() => DocumentStatus, { nullable: true })
  status?: DocumentStatus;
}

@InputType()
export class RetrievalSettingsInput {
  @Field(() => RetrievalMode, { nullable: true })
  mode?: RetrievalMode;

  @Field(() => Int, { nullable: true, description: "1–50" })
  topK?: number;

  @Field(() => Float, {
    nullable: true,
    description: "Results scoring below this are dropped (see RetrievedChunk.score)",
  })
  scoreThreshold?: number;

  @Field(() => String, { nullable: true, description: "A rerank model of the registry (POST /v1/rerank)" })
  rerankModel?: string;
}

@InputType()
export class CreateKnowledgeBaseInput {
  @Field()
  name: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => String, { nullable: true, description: "Defaults to the platform's default embedding model" })
  embeddingModelId?: string;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      "`{ strategy: recursive | markdown | parent_child, size: 500, overlap: 50, parentSize: 2000 }` (characters)",
  })
  chunking?: Record<string, unknown>;

  @Field(() => RetrievalSettingsInput, { nullable: true, description: "Defaults: HYBRID, topK 5" })
  retrieval?: RetrievalSettingsInput;
}

@InputType()
export class UpdateKnowledgeBaseInput {
  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => String, { nullable: true, description: "Changing it re-embeds every document" })
  embeddingModelId?: string;

  @Field(() => GraphQLJSON, { nullable: true, description: "Changing it re-chunks and re-embeds every document" })
  chunking?: Record<string, unknown>;

  @Field(() => RetrievalSettingsInput, { nullable: true })
  retrieval?: RetrievalSettingsInput;
}

@InputType()
export class SearchKnowledgeBaseInput {
  @Field(() => ID)
  knowledgeBaseId: string;

  @Field()
  query: string;

  @Field(() => Int, { nullable: true, description: "Defaults to the knowledge base's (5)" })
  topK?: number;

  @Field(() => RetrievalMode, { nullable: true, description: "Defaults to the knowledge base's (HYBRID)" })
  mode?: RetrievalMode;

  @Field(() => Float, { nullable: true })
  scoreThreshold?: number;

  @Field(() => String, { nullable: true })
  rerankModel?: string;

  @Field(() => [ID], { nullable: true, description: "Only these documents" })
  documentIds?: string[];

  @Field(() => GraphQLJSON, { nullable: true, description: "Only documents whose metadata has these values" })
  metadata?: Record<string, unknown>;
}

/** Why a chunk was recalled: each retriever's own score and rank; null where that retriever did not find it. */
@ObjectType()
export class RetrievalScores {
  @Field(() => Float, { nullable: true, description: "Cosine similarity of the query and chunk embeddings" })
  vector: number | null;

  @Field(() => Int, { nullable: true })
  vectorRank: number | null;

  @Field(() => Float, { nullable: true, description: "BM25 score" })
  keyword: number | null;

  @Field(() => Int, { nullable: true })
  keywordRank: number | null;

  @Field(() => Float, { nullable: true, description: "Reciprocal rank fusion (HYBRID)" })
  fused: number | null;

  @Field(() => Float, { nullable: true, description: "The rerank model's relevance" })
  rerank: number | null;
}

@ObjectType()
export class RetrievedChunk {
  @Field({ description: "The chunk's text" })
  text: string;

  @Field(() => Float, {
    description:
      "What results are ordered and thresholded by: VECTOR cosine similarity; KEYWORD BM25 relative to the best hit; " +
      "HYBRID fused rank relative to a first place in both (1); the rerank relevance when a rerank model is used",
  })
  score: number;

  @Field(() => RetrievalScores)
  scores: RetrievalScores;

  @Field(() => KnowledgeDocument)
  document: KnowledgeDocument;

  @Field(() => KnowledgeChunk)
  chunk: KnowledgeChunk;

  @Field(() => ID)
  knowledgeBaseId: string;
}

const toRetrieved = (hit: RetrievedChunkData): RetrievedChunk => ({
  text: hit.chunk.content,
  score: hit.score,
  scores: hit.scores,
  document: hit.document,
  chunk: hit.chunk,
  knowledgeBaseId: hit.knowledgeBaseId,
});

@Resolver(() => KnowledgeBase)
export class KnowledgeBaseResolver {
  @Authorized()
  @Query(() => KnowledgeBaseConnection, {
    description: "The caller's knowledge bases and those shared with them, most recently changed first.",
  })
  async knowledgeBases(
    @Args(() => KnowledgeBasesArgs) args: KnowledgeBasesArgs,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<KnowledgeBaseConnection> {
    return services.knowledge.list(em, caller, args);
  }

  @Authorized()
  @Query(() => KnowledgeBase, {
    nullable: true,
    description: "NOT_FOUND when missing or neither the caller's nor shared with them.",
  })
  async knowledgeBase(@Arg("id", () => ID) id: string, @Ctx() { em, caller, services }: Ctx): Promise<KnowledgeBase> {
    return services.knowledge.get(em, caller, id);
  }

  @Authorized()
  @Mutation(() => KnowledgeBase)
  async createKnowledgeBase(
    @Arg("input", () => CreateKnowledgeBaseInput) input: CreateKnowledgeBaseInput,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<KnowledgeBase> {
    return services.knowledge.create(em, caller, input);
  }

  @Authorized()
  @Mutation(() => KnowledgeBase, {
    description:
      "New chunking or a new embedding model re-index every document; old chunks answer until then. " +
      "Owners, editors and admins.",
  })
  async updateKnowledgeBase(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateKnowledgeBaseInput) input: UpdateKnowledgeBaseInput,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<KnowledgeBase> {
    return services.knowledge.update(em, caller, id, input);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: "Deletes the knowledge base with its documents, chunks, vectors and shares. Owners and admins.",
  })
  async deleteKnowledgeBase(@Arg("id", () => ID) id: string, @Ctx() { em, caller, services }: Ctx): Promise<boolean> {
    return services.knowledge.delete(em, caller, id);
  }

  @Authorized()
  @Mutation(() => ResourceShareType, {
    description:
      "Shares the knowledge base with a user (by id or email) or everyone with a role: VIEWER may browse, search " +
      "and chat with it, EDITOR also change its settings, documents and chunks. Sharing again with the same user " +
      "or role changes the permission. Owners and admins.",
  })
  async shareKnowledgeBase(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => ShareInput) input: ShareInput,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<ResourceShareType> {
    return toResourceShare(await services.knowledge.share(em, caller, id, { ...input }));
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Ends one share of the knowledge base; false when it had no such share." })
  async unshareKnowledgeBase(
    @Arg("id", () => ID) id: string,
    @Arg("shareId", () => ID) shareId: string,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<boolean> {
    return services.knowledge.unshare(em, caller, id, shareId);
  }

  @Authorized()
  @Query(() => [RetrievedChunk], {
    description: "Searches a knowledge base; `scores` shows each retriever's part, so you can see why a chunk came up.",
  })
  async searchKnowledgeBase(
    @Arg("input", () => SearchKnowledgeBaseInput) input: SearchKnowledgeBaseInput,
    @Ctx() { em, caller, services }: Ctx,
  ): Promise<RetrievedChunk[]> {
    requireUser(caller);
    const query = input.query?.trim();
    if (!query) {
      throw badInput("query must not be empty", { query: "must not be empty" });
    }
    const kb = await services.knowledge.get(em, caller, input.knowledgeBaseId);
    const hits = await services.retrieval.search(em, caller, kb, {
      query,
      mode: input.mode,
      topK: input.topK,
      scoreThreshold: input.scoreThreshold,
      rerankModel: input.rerankModel,
      documentIds: input.documentIds,
      metadata: input.metadata,
    });
    return hits.map(toRetrieved);
  }

  @FieldResolver(() => ResourceAccess, { description: "What the signed-in user may do with this knowledge base." })
  async access(@Root() kb: KnowledgeBase, @Ctx() ctx: Ctx): Promise<ResourceAccess> {
    return loaders(ctx).knowledgeBaseAccess.load(kb);
  }

  @FieldResolver(() => [ResourceShareType], {
    description: "Whom the knowledge base is shared with; empty unless the signed-in user owns it or is an admin.",
  })
  async shares(@Root() kb: KnowledgeBase, @Ctx() { em, caller, services }: Ctx): Promise<ResourceShareType[]> {
    return (await services.knowledge.shares(em, caller, kb)).map(toResourceShare);
  }

  @FieldResolver(() => DocumentConnection)
  async documents(
    @Root() kb: KnowledgeBase,
    @Args(() => DocumentsArgs) args: DocumentsArgs,
    @Ctx() { em, services }: Ctx,
  ): Promise<DocumentConnection> {
    return services.knowledge.documents(em, kb, args);
  }

  @FieldResolver(() => Int, { description: "Chunks of READY documents" })
  async chunkCount(@Root() kb: KnowledgeBase, @Ctx() { em }: Ctx): Promise<number> {
    return em.count(KnowledgeChunk, { knowledgeBaseId: kb.id, document: { status: DocumentStatus.READY } });
  }

  @FieldResolver(() => Model, { nullable: true })
  embeddingModel(@Root() kb: KnowledgeBase): Model {
    return { id: kb.embeddingModelId };
  }

  @FieldResolver(() => User, { nullable: true })
  owner(@Root() kb: KnowledgeBase): User {
    return { id: kb.ownerId };
  }
}
