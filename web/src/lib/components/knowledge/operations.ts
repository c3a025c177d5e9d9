import { graphql } from "$lib/gql";

// Every operation of the knowledge-base pages, in one place: codegen reads these and types each one in `$lib/gql`.
// Operations must be named (STACK.md pitfall 18).

export const KnowledgeBasesQuery = graphql(`
  query KnowledgeBases($first: Int, $after: String) {
    knowledgeBases(first: $first, after: $after) {
      edges {
        node {
          id
          name
          description
          embeddingModelId
          chunking
          chunkCount
          updatedAt
          access
          documents(first: 1) {
            totalCount
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
  }
`);

export const EmbeddingModelsQuery = graphql(`
  query EmbeddingModels($first: Int) {
    models(kind: EMBEDDING, first: $first) {
      edges {
        node {
          id
          name
          dimensions
        }
      }
    }
  }
`);

export const CreateKnowledgeBaseMutation = graphql(`
  mutation CreateKnowledgeBase($input: CreateKnowledgeBaseInput!) {
    createKnowledgeBase(input: $input) {
      id
      name
    }
  }
`);

export const DeleteKnowledgeBaseMutation = graphql(`
  mutation DeleteKnowledgeBase($id: ID!) {
    deleteKnowledgeBase(id: $id)
  }
`);

export const KnowledgeBaseQuery = graphql(`
  query KnowledgeBase($id: ID!, $first: Int, $after: String) {
    knowledgeBase(id: $id) {
      id
      name
      description
      embeddingModelId
      chunking
      retrieval
      chunkCount
      access
      shares {
        ...ResourceShareFields
      }
      documents(first: $first, after: $after) {
        edges {
          node {
            ...KnowledgeDocumentFields
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
        totalCount
      }
    }
  }
`);

export const ResourceShareFieldsFragment = graphql(`
  fragment ResourceShareFields on ResourceShare {
    id
    principalType
    userId
    email
    role
    permission
    createdAt
  }
`);

export const ShareKnowledgeBaseMutation = graphql(`
  mutation ShareKnowledgeBase($id: ID!, $input: ShareInput!) {
    shareKnowledgeBase(id: $id, input: $input) {
      ...ResourceShareFields
    }
  }
`);

export const UnshareKnowledgeBaseMutation = graphql(`
  mutation UnshareKnowledgeBase($id: ID!, $shareId: ID!) {
    unshareKnowledgeBase(id: $id, shareId: $shareId)
  }
`);

export const KnowledgeDocumentFieldsFragment = graphql(`
  fragment KnowledgeDocumentFields on Document {
    id
    title
    source
    format
    status
    progress
    chunkCount
    error
    createdAt
  }
`);

export const DocumentStatusSubscription = graphql(`
  subscription DocumentStatus($knowledgeBaseId: ID) {
    documentStatus(knowledgeBaseId: $knowledgeBaseId) {
      ...KnowledgeDocumentFields
    }
  }
`);

export const CreateUploadUrlMutation = graphql(`
  mutation CreateUploadUrl($input: CreateUploadUrlInput!) {
    createUploadUrl(input: $input) {
      url
      method
      headers
      key
    }
  }
`);

export const AddDocumentMutation = graphql(`
  mutation AddDocument($input: AddDocumentInput!) {
    addDocument(input: $input) {
      ...KnowledgeDocumentFields
    }
  }
`);

export const DeleteDocumentMutation = graphql(`
  mutation DeleteDocument($id: ID!) {
    deleteDocument(id: $id)
  }
`);

export const ReindexDocumentMutation = graphql(`
  mutation ReindexDocument($id: ID!) {
    reindexDocument(id: $id) {
      ...KnowledgeDocumentFields
    }
  }
`);

export const DocumentChunksQuery = graphql(`
  query DocumentChunks($id: ID!, $first: Int, $after: String) {
    document(id: $id) {
      id
      chunks(first: $first, after: $after) {
        edges {
          node {
            id
            position
            content
            heading
            enabled
            edited
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
        totalCount
      }
    }
  }
`);

export const UpdateChunkMutation = graphql(`
  mutation UpdateChunk($id: ID!, $input: UpdateChunkInput!) {
    updateChunk(id: $id, input: $input) {
      id
      position
      content
      heading
      enabled
      edited
    }
  }
`);

export const SearchKnowledgeBaseQuery = graphql(`
  query SearchKnowledgeBase($input: SearchKnowledgeBaseInput!) {
    searchKnowledgeBase(input: $input) {
      text
      score
      document {
        id
        title
      }
      chunk {
        id
        position
        heading
      }
      scores {
        vector
        vectorRank
        keyword
        keywordRank
        fused
        rerank
      }
    }
  }
`);
