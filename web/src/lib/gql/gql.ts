/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query KnowledgeBases($first: Int, $after: String) {\n    knowledgeBases(first: $first, after: $after) {\n      edges {\n        node {\n          id\n          name\n          description\n          embeddingModelId\n          chunking\n          chunkCount\n          updatedAt\n          access\n          documents(first: 1) {\n            totalCount\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": typeof types.KnowledgeBasesDocument,
    "\n  query EmbeddingModels($first: Int) {\n    models(kind: EMBEDDING, first: $first) {\n      edges {\n        node {\n          id\n          name\n          dimensions\n        }\n      }\n    }\n  }\n": typeof types.EmbeddingModelsDocument,
    "\n  mutation CreateKnowledgeBase($input: CreateKnowledgeBaseInput!) {\n    createKnowledgeBase(input: $input) {\n      id\n      name\n    }\n  }\n": typeof types.CreateKnowledgeBaseDocument,
    "\n  mutation DeleteKnowledgeBase($id: ID!) {\n    deleteKnowledgeBase(id: $id)\n  }\n": typeof types.DeleteKnowledgeBaseDocument,
    "\n  query KnowledgeBase($id: ID!, $first: Int, $after: String) {\n    knowledgeBase(id: $id) {\n      id\n      name\n      description\n      embeddingModelId\n      chunking\n      retrieval\n      chunkCount\n      access\n      shares {\n        ...ResourceShareFields\n      }\n      documents(first: $first, after: $after) {\n        edges {\n          node {\n            ...KnowledgeDocumentFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        totalCount\n      }\n    }\n  }\n": typeof types.KnowledgeBaseDocument,
    "\n  fragment ResourceShareFields on ResourceShare {\n    id\n    principalType\n    userId\n    email\n    role\n    permission\n    createdAt\n  }\n": typeof types.ResourceShareFieldsFragmentDoc,
    "\n  mutation ShareKnowledgeBase($id: ID!, $input: ShareInput!) {\n    shareKnowledgeBase(id: $id, input: $input) {\n      ...ResourceShareFields\n    }\n  }\n": typeof types.ShareKnowledgeBaseDocument,
    "\n  mutation UnshareKnowledgeBase($id: ID!, $shareId: ID!) {\n    unshareKnowledgeBase(id: $id, shareId: $shareId)\n  }\n": typeof types.UnshareKnowledgeBaseDocument,
    "\n  fragment KnowledgeDocumentFields on Document {\n    id\n    title\n    source\n    format\n    status\n    progress\n    chunkCount\n    error\n    createdAt\n  }\n": typeof types.KnowledgeDocumentFieldsFragmentDoc,
    "\n  subscription DocumentStatus($knowledgeBaseId: ID) {\n    documentStatus(knowledgeBaseId: $knowledgeBaseId) {\n      ...KnowledgeDocumentFields\n    }\n  }\n": typeof types.DocumentStatusDocument,
    "\n  mutation CreateUploadUrl($input: CreateUploadUrlInput!) {\n    createUploadUrl(input: $input) {\n      url\n      method\n      headers\n      key\n    }\n  }\n": typeof types.CreateUploadUrlDocument,
    "\n  mutation AddDocument($input: AddDocumentInput!) {\n    addDocument(input: $input) {\n      ...KnowledgeDocumentFields\n    }\n  }\n": typeof types.AddDocumentDocument,
    "\n  mutation DeleteDocument($id: ID!) {\n    deleteDocument(id: $id)\n  }\n": typeof types.DeleteDocumentDocument,
    "\n  mutation ReindexDocument($id: ID!) {\n    reindexDocument(id: $id) {\n      ...KnowledgeDocumentFields\n    }\n  }\n": typeof types.ReindexDocumentDocument,
    "\n  query DocumentChunks($id: ID!, $first: Int, $after: String) {\n    document(id: $id) {\n      id\n      chunks(first: $first, after: $after) {\n        edges {\n          node {\n            id\n            position\n            content\n            heading\n            enabled\n            edited\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        totalCount\n      }\n    }\n  }\n": typeof types.DocumentChunksDocument,
    "\n  mutation UpdateChunk($id: ID!, $input: UpdateChunkInput!) {\n    updateChunk(id: $id, input: $input) {\n      id\n      position\n      content\n      heading\n      enabled\n      edited\n    }\n  }\n": typeof types.UpdateChunkDocument,
    "\n  query SearchKnowledgeBase($input: SearchKnowledgeBaseInput!) {\n    searchKnowledgeBase(input: $input) {\n      text\n      score\n      document {\n        id\n        title\n      }\n      chunk {\n        id\n        position\n        heading\n      }\n      scores {\n        vector\n        vectorRank\n        keyword\n        keywordRank\n        fused\n        rerank\n      }\n    }\n  }\n": typeof types.SearchKnowledgeBaseDocument,
    "\n  query Me {\n    me {\n      id\n      email\n      name\n      roles\n    }\n  }\n": typeof types.MeDocument,
    "\n  mutation CompleteSetup($input: CompleteSetupInput!) {\n    completeSetup(input: $input) {\n      accessToken\n      user {\n        id\n      }\n    }\n  }\n": typeof types.CompleteSetupDocument,
    "\n  query Conversations($first: Int, $after: String, $search: String) {\n    conversations(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          updatedAt\n          model {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": typeof types.ConversationsDocument,
    "\n  query Conversation($id: ID!) {\n    conversation(id: $id) {\n      id\n      title\n      messages {\n        id\n        role\n        content\n        status\n        errorReason\n        createdAt\n        citations {\n          index\n          documentName\n          snippet\n        }\n      }\n    }\n  }\n": typeof types.ConversationDocument,
    "\n  query ChatModels($first: Int) {\n    models(kind: CHAT, first: $first) {\n      edges {\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n    }\n  }\n": typeof types.ChatModelsDocument,
    "\n  query ChatKnowledgeBases($first: Int) {\n    knowledgeBases(first: $first) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n": typeof types.ChatKnowledgeBasesDocument,
    "\n  mutation StopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      status\n      content\n    }\n  }\n": typeof types.StopGenerationDocument,
    "\n  fragment StreamEvent on MessageStreamEvent {\n    __typename\n    ... on MessageToken {\n      seq\n      delta\n    }\n    ... on MessageCitations {\n      seq\n      citations {\n        index\n        documentName\n        snippet\n      }\n    }\n    ... on MessageHeartbeat {\n      seq\n    }\n    ... on MessageDone {\n      seq\n      message {\n        id\n        content\n        status\n      }\n    }\n    ... on MessageFailed {\n      seq\n      code\n      reason\n      message {\n        id\n        content\n        status\n      }\n    }\n  }\n": typeof types.StreamEventFragmentDoc,
    "\n  subscription MessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      ...StreamEvent\n    }\n  }\n": typeof types.MessageStreamDocument,
    "\n  subscription Chat($input: SendMessageInput!) {\n    chat(input: $input) {\n      __typename\n      ... on MessageStarted {\n        seq\n        conversation {\n          id\n          title\n          updatedAt\n        }\n        userMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n        assistantMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n      }\n      ...StreamEvent\n    }\n  }\n": typeof types.ChatDocument,
};
const documents: Documents = {
    "\n  query KnowledgeBases($first: Int, $after: String) {\n    knowledgeBases(first: $first, after: $after) {\n      edges {\n        node {\n          id\n          name\n          description\n          embeddingModelId\n          chunking\n          chunkCount\n          updatedAt\n          access\n          documents(first: 1) {\n            totalCount\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": types.KnowledgeBasesDocument,
    "\n  query EmbeddingModels($first: Int) {\n    models(kind: EMBEDDING, first: $first) {\n      edges {\n        node {\n          id\n          name\n          dimensions\n        }\n      }\n    }\n  }\n": types.EmbeddingModelsDocument,
    "\n  mutation CreateKnowledgeBase($input: CreateKnowledgeBaseInput!) {\n    createKnowledgeBase(input: $input) {\n      id\n      name\n    }\n  }\n": types.CreateKnowledgeBaseDocument,
    "\n  mutation DeleteKnowledgeBase($id: ID!) {\n    deleteKnowledgeBase(id: $id)\n  }\n": types.DeleteKnowledgeBaseDocument,
    "\n  query KnowledgeBase($id: ID!, $first: Int, $after: String) {\n    knowledgeBase(id: $id) {\n      id\n      name\n      description\n      embeddingModelId\n      chunking\n      retrieval\n      chunkCount\n      access\n      shares {\n        ...ResourceShareFields\n      }\n      documents(first: $first, after: $after) {\n        edges {\n          node {\n            ...KnowledgeDocumentFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        totalCount\n      }\n    }\n  }\n": types.KnowledgeBaseDocument,
    "\n  fragment ResourceShareFields on ResourceShare {\n    id\n    principalType\n    userId\n    email\n    role\n    permission\n    createdAt\n  }\n": types.ResourceShareFieldsFragmentDoc,
    "\n  mutation ShareKnowledgeBase($id: ID!, $input: ShareInput!) {\n    shareKnowledgeBase(id: $id, input: $input) {\n      ...ResourceShareFields\n    }\n  }\n": types.ShareKnowledgeBaseDocument,
    "\n  mutation UnshareKnowledgeBase($id: ID!, $shareId: ID!) {\n    unshareKnowledgeBase(id: $id, shareId: $shareId)\n  }\n": types.UnshareKnowledgeBaseDocument,
    "\n  fragment KnowledgeDocumentFields on Document {\n    id\n    title\n    source\n    format\n    status\n    progress\n    chunkCount\n    error\n    createdAt\n  }\n": types.KnowledgeDocumentFieldsFragmentDoc,
    "\n  subscription DocumentStatus($knowledgeBaseId: ID) {\n    documentStatus(knowledgeBaseId: $knowledgeBaseId) {\n      ...KnowledgeDocumentFields\n    }\n  }\n": types.DocumentStatusDocument,
    "\n  mutation CreateUploadUrl($input: CreateUploadUrlInput!) {\n    createUploadUrl(input: $input) {\n      url\n      method\n      headers\n      key\n    }\n  }\n": types.CreateUploadUrlDocument,
    "\n  mutation AddDocument($input: AddDocumentInput!) {\n    addDocument(input: $input) {\n      ...KnowledgeDocumentFields\n    }\n  }\n": types.AddDocumentDocument,
    "\n  mutation DeleteDocument($id: ID!) {\n    deleteDocument(id: $id)\n  }\n": types.DeleteDocumentDocument,
    "\n  mutation ReindexDocument($id: ID!) {\n    reindexDocument(id: $id) {\n      ...KnowledgeDocumentFields\n    }\n  }\n": types.ReindexDocumentDocument,
    "\n  query DocumentChunks($id: ID!, $first: Int, $after: String) {\n    document(id: $id) {\n      id\n      chunks(first: $first, after: $after) {\n        edges {\n          node {\n            id\n            position\n            content\n            heading\n            enabled\n            edited\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        totalCount\n      }\n    }\n  }\n": types.DocumentChunksDocument,
    "\n  mutation UpdateChunk($id: ID!, $input: UpdateChunkInput!) {\n    updateChunk(id: $id, input: $input) {\n      id\n      position\n      content\n      heading\n      enabled\n      edited\n    }\n  }\n": types.UpdateChunkDocument,
    "\n  query SearchKnowledgeBase($input: SearchKnowledgeBaseInput!) {\n    searchKnowledgeBase(input: $input) {\n      text\n      score\n      document {\n        id\n        title\n      }\n      chunk {\n        id\n        position\n        heading\n      }\n      scores {\n        vector\n        vectorRank\n        keyword\n        keywordRank\n        fused\n        rerank\n      }\n    }\n  }\n": types.SearchKnowledgeBaseDocument,
    "\n  query Me {\n    me {\n      id\n      email\n      name\n      roles\n    }\n  }\n": types.MeDocument,
    "\n  mutation CompleteSetup($input: CompleteSetupInput!) {\n    completeSetup(input: $input) {\n      accessToken\n      user {\n        id\n      }\n    }\n  }\n": types.CompleteSetupDocument,
    "\n  query Conversations($first: Int, $after: String, $search: String) {\n    conversations(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          updatedAt\n          model {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": types.ConversationsDocument,
    "\n  query Conversation($id: ID!) {\n    conversation(id: $id) {\n      id\n      title\n      messages {\n        id\n        role\n        content\n        status\n        errorReason\n        createdAt\n        citations {\n          index\n          documentName\n          snippet\n        }\n      }\n    }\n  }\n": types.ConversationDocument,
    "\n  query ChatModels($first: Int) {\n    models(kind: CHAT, first: $first) {\n      edges {\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n    }\n  }\n": types.ChatModelsDocument,
    "\n  query ChatKnowledgeBases($first: Int) {\n    knowledgeBases(first: $first) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n": types.ChatKnowledgeBasesDocument,
    "\n  mutation StopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      status\n      content\n    }\n  }\n": types.StopGenerationDocument,
    "\n  fragment StreamEvent on MessageStreamEvent {\n    __typename\n    ... on MessageToken {\n      seq\n      delta\n    }\n    ... on MessageCitations {\n      seq\n      citations {\n        index\n        documentName\n        snippet\n      }\n    }\n    ... on MessageHeartbeat {\n      seq\n    }\n    ... on MessageDone {\n      seq\n      message {\n        id\n        content\n        status\n      }\n    }\n    ... on MessageFailed {\n      seq\n      code\n      reason\n      message {\n        id\n        content\n        status\n      }\n    }\n  }\n": types.StreamEventFragmentDoc,
    "\n  subscription MessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      ...StreamEvent\n    }\n  }\n": types.MessageStreamDocument,
    "\n  subscription Chat($input: SendMessageInput!) {\n    chat(input: $input) {\n      __typename\n      ... on MessageStarted {\n        seq\n        conversation {\n          id\n          title\n          updatedAt\n        }\n        userMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n        assistantMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n      }\n      ...StreamEvent\n    }\n  }\n": types.ChatDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query KnowledgeBases($first: Int, $after: String) {\n    knowledgeBases(first: $first, after: $after) {\n      edges {\n        node {\n          id\n          name\n          description\n          embeddingModelId\n          chunking\n          chunkCount\n          updatedAt\n          access\n          documents(first: 1) {\n            totalCount\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query KnowledgeBases($first: Int, $after: String) {\n    knowledgeBases(first: $first, after: $after) {\n      edges {\n        node {\n          id\n          name\n          description\n          embeddingModelId\n          chunking\n          chunkCount\n          updatedAt\n          access\n          documents(first: 1) {\n            totalCount\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query EmbeddingModels($first: Int) {\n    models(kind: EMBEDDING, first: $first) {\n      edges {\n        node {\n          id\n          name\n          dimensions\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query EmbeddingModels($first: Int) {\n    models(kind: EMBEDDING, first: $first) {\n      edges {\n        node {\n          id\n          name\n          dimensions\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateKnowledgeBase($input: CreateKnowledgeBaseInput!) {\n    createKnowledgeBase(input: $input) {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  mutation CreateKnowledgeBase($input: CreateKnowledgeBaseInput!) {\n    createKnowledgeBase(input: $input) {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteKnowledgeBase($id: ID!) {\n    deleteKnowledgeBase(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteKnowledgeBase($id: ID!) {\n    deleteKnowledgeBase(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query KnowledgeBase($id: ID!, $first: Int, $after: String) {\n    knowledgeBase(id: $id) {\n      id\n      name\n      description\n      embeddingModelId\n      chunking\n      retrieval\n      chunkCount\n      access\n      shares {\n        ...ResourceShareFields\n      }\n      documents(first: $first, after: $after) {\n        edges {\n          node {\n            ...KnowledgeDocumentFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        totalCount\n      }\n    }\n  }\n"): (typeof documents)["\n  query KnowledgeBase($id: ID!, $first: Int, $after: String) {\n    knowledgeBase(id: $id) {\n      id\n      name\n      description\n      embeddingModelId\n      chunking\n      retrieval\n      chunkCount\n      access\n      shares {\n        ...ResourceShareFields\n      }\n      documents(first: $first, after: $after) {\n        edges {\n          node {\n            ...KnowledgeDocumentFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        totalCount\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ResourceShareFields on ResourceShare {\n    id\n    principalType\n    userId\n    email\n    role\n    permission\n    createdAt\n  }\n"): (typeof documents)["\n  fragment ResourceShareFields on ResourceShare {\n    id\n    principalType\n    userId\n    email\n    role\n    permission\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ShareKnowledgeBase($id: ID!, $input: ShareInput!) {\n    shareKnowledgeBase(id: $id, input: $input) {\n      ...ResourceShareFields\n    }\n  }\n"): (typeof documents)["\n  mutation ShareKnowledgeBase($id: ID!, $input: ShareInput!) {\n    shareKnowledgeBase(id: $id, input: $input) {\n      ...ResourceShareFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnshareKnowledgeBase($id: ID!, $shareId: ID!) {\n    unshareKnowledgeBase(id: $id, shareId: $shareId)\n  }\n"): (typeof documents)["\n  mutation UnshareKnowledgeBase($id: ID!, $shareId: ID!) {\n    unshareKnowledgeBase(id: $id, shareId: $shareId)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment KnowledgeDocumentFields on Document {\n    id\n    title\n    source\n    format\n    status\n    progress\n    chunkCount\n    error\n    createdAt\n  }\n"): (typeof documents)["\n  fragment KnowledgeDocumentFields on Document {\n    id\n    title\n    source\n    format\n    status\n    progress\n    chunkCount\n    error\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription DocumentStatus($knowledgeBaseId: ID) {\n    documentStatus(knowledgeBaseId: $knowledgeBaseId) {\n      ...KnowledgeDocumentFields\n    }\n  }\n"): (typeof documents)["\n  subscription DocumentStatus($knowledgeBaseId: ID) {\n    documentStatus(knowledgeBaseId: $knowledgeBaseId) {\n      ...KnowledgeDocumentFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateUploadUrl($input: CreateUploadUrlInput!) {\n    createUploadUrl(input: $input) {\n      url\n      method\n      headers\n      key\n    }\n  }\n"): (typeof documents)["\n  mutation CreateUploadUrl($input: CreateUploadUrlInput!) {\n    createUploadUrl(input: $input) {\n      url\n      method\n      headers\n      key\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddDocument($input: AddDocumentInput!) {\n    addDocument(input: $input) {\n      ...KnowledgeDocumentFields\n    }\n  }\n"): (typeof documents)["\n  mutation AddDocument($input: AddDocumentInput!) {\n    addDocument(input: $input) {\n      ...KnowledgeDocumentFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteDocument($id: ID!) {\n    deleteDocument(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteDocument($id: ID!) {\n    deleteDocument(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReindexDocument($id: ID!) {\n    reindexDocument(id: $id) {\n      ...KnowledgeDocumentFields\n    }\n  }\n"): (typeof documents)["\n  mutation ReindexDocument($id: ID!) {\n    reindexDocument(id: $id) {\n      ...KnowledgeDocumentFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DocumentChunks($id: ID!, $first: Int, $after: String) {\n    document(id: $id) {\n      id\n      chunks(first: $first, after: $after) {\n        edges {\n          node {\n            id\n            position\n            content\n            heading\n            enabled\n            edited\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        totalCount\n      }\n    }\n  }\n"): (typeof documents)["\n  query DocumentChunks($id: ID!, $first: Int, $after: String) {\n    document(id: $id) {\n      id\n      chunks(first: $first, after: $after) {\n        edges {\n          node {\n            id\n            position\n            content\n            heading\n            enabled\n            edited\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        totalCount\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateChunk($id: ID!, $input: UpdateChunkInput!) {\n    updateChunk(id: $id, input: $input) {\n      id\n      position\n      content\n      heading\n      enabled\n      edited\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateChunk($id: ID!, $input: UpdateChunkInput!) {\n    updateChunk(id: $id, input: $input) {\n      id\n      position\n      content\n      heading\n      enabled\n      edited\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchKnowledgeBase($input: SearchKnowledgeBaseInput!) {\n    searchKnowledgeBase(input: $input) {\n      text\n      score\n      document {\n        id\n        title\n      }\n      chunk {\n        id\n        position\n        heading\n      }\n      scores {\n        vector\n        vectorRank\n        keyword\n        keywordRank\n        fused\n        rerank\n      }\n    }\n  }\n"): (typeof documents)["\n  query SearchKnowledgeBase($input: SearchKnowledgeBaseInput!) {\n    searchKnowledgeBase(input: $input) {\n      text\n      score\n      document {\n        id\n        title\n      }\n      chunk {\n        id\n        position\n        heading\n      }\n      scores {\n        vector\n        vectorRank\n        keyword\n        keywordRank\n        fused\n        rerank\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      id\n      email\n      name\n      roles\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      id\n      email\n      name\n      roles\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CompleteSetup($input: CompleteSetupInput!) {\n    completeSetup(input: $input) {\n      accessToken\n      user {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CompleteSetup($input: CompleteSetupInput!) {\n    completeSetup(input: $input) {\n      accessToken\n      user {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Conversations($first: Int, $after: String, $search: String) {\n    conversations(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          updatedAt\n          model {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query Conversations($first: Int, $after: String, $search: String) {\n    conversations(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          updatedAt\n          model {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Conversation($id: ID!) {\n    conversation(id: $id) {\n      id\n      title\n      messages {\n        id\n        role\n        content\n        status\n        errorReason\n        createdAt\n        citations {\n          index\n          documentName\n          snippet\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Conversation($id: ID!) {\n    conversation(id: $id) {\n      id\n      title\n      messages {\n        id\n        role\n        content\n        status\n        errorReason\n        createdAt\n        citations {\n          index\n          documentName\n          snippet\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ChatModels($first: Int) {\n    models(kind: CHAT, first: $first) {\n      edges {\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ChatModels($first: Int) {\n    models(kind: CHAT, first: $first) {\n      edges {\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ChatKnowledgeBases($first: Int) {\n    knowledgeBases(first: $first) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ChatKnowledgeBases($first: Int) {\n    knowledgeBases(first: $first) {\n      edges {\n        node {\n          id\n          name\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      status\n      content\n    }\n  }\n"): (typeof documents)["\n  mutation StopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      status\n      content\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment StreamEvent on MessageStreamEvent {\n    __typename\n    ... on MessageToken {\n      seq\n      delta\n    }\n    ... on MessageCitations {\n      seq\n      citations {\n        index\n        documentName\n        snippet\n      }\n    }\n    ... on MessageHeartbeat {\n      seq\n    }\n    ... on MessageDone {\n      seq\n      message {\n        id\n        content\n        status\n      }\n    }\n    ... on MessageFailed {\n      seq\n      code\n      reason\n      message {\n        id\n        content\n        status\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment StreamEvent on MessageStreamEvent {\n    __typename\n    ... on MessageToken {\n      seq\n      delta\n    }\n    ... on MessageCitations {\n      seq\n      citations {\n        index\n        documentName\n        snippet\n      }\n    }\n    ... on MessageHeartbeat {\n      seq\n    }\n    ... on MessageDone {\n      seq\n      message {\n        id\n        content\n        status\n      }\n    }\n    ... on MessageFailed {\n      seq\n      code\n      reason\n      message {\n        id\n        content\n        status\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      ...StreamEvent\n    }\n  }\n"): (typeof documents)["\n  subscription MessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      ...StreamEvent\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Chat($input: SendMessageInput!) {\n    chat(input: $input) {\n      __typename\n      ... on MessageStarted {\n        seq\n        conversation {\n          id\n          title\n          updatedAt\n        }\n        userMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n        assistantMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n      }\n      ...StreamEvent\n    }\n  }\n"): (typeof documents)["\n  subscription Chat($input: SendMessageInput!) {\n    chat(input: $input) {\n      __typename\n      ... on MessageStarted {\n        seq\n        conversation {\n          id\n          title\n          updatedAt\n        }\n        userMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n        assistantMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n      }\n      ...StreamEvent\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;