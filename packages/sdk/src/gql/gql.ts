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
    "\n  mutation SdkLogin($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      accessToken\n      expiresAt\n      user {\n        id\n        email\n        name\n        roles\n      }\n    }\n  }\n": typeof types.SdkLoginDocument,
    "\n  query SdkDataset($id: ID!) {\n    dataset(id: $id) {\n      id\n      name\n      description\n      tableName\n      format\n      tags\n      columns {\n        name\n        type\n        nullable\n      }\n      createdAt\n      updatedAt\n    }\n  }\n": typeof types.SdkDatasetDocument,
    "\n  query SdkDatasetPreview($id: ID!, $limit: Int!) {\n    dataset(id: $id) {\n      id\n      preview(limit: $limit) {\n        columns {\n          name\n          type\n          nullable\n        }\n        rows\n        totalRows\n      }\n    }\n  }\n": typeof types.SdkDatasetPreviewDocument,
    "\n  query SdkDatasets($first: Int, $after: String, $search: String) {\n    datasets(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          description\n          tableName\n          format\n          tags\n          createdAt\n          updatedAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": typeof types.SdkDatasetsDocument,
    "\n  query SdkModels($kind: ModelKind, $first: Int, $after: String) {\n    models(kind: $kind, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": typeof types.SdkModelsDocument,
    "\n  mutation SdkSendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      userMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n      assistantMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n": typeof types.SdkSendMessageDocument,
    "\n  mutation SdkStopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      role\n      content\n      status\n      createdAt\n    }\n  }\n": typeof types.SdkStopGenerationDocument,
    "\n  fragment SdkMessageStreamEvent on MessageStreamEvent {\n    __typename\n    ... on MessageToken {\n      seq\n      delta\n    }\n    ... on MessageCitations {\n      seq\n      citations {\n        index\n        documentId\n        documentName\n        chunkId\n        snippet\n        score\n      }\n    }\n    ... on MessageHeartbeat {\n      seq\n    }\n    ... on MessageDone {\n      seq\n      message {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n    ... on MessageFailed {\n      seq\n      code\n      reason\n      message {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n": typeof types.SdkMessageStreamEventFragmentDoc,
    "\n  subscription SdkMessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      ...SdkMessageStreamEvent\n    }\n  }\n": typeof types.SdkMessageStreamDocument,
    "\n  subscription SdkChat($input: SendMessageInput!) {\n    chat(input: $input) {\n      __typename\n      ... on MessageStarted {\n        seq\n        userMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n        assistantMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n      }\n      ...SdkMessageStreamEvent\n    }\n  }\n": typeof types.SdkChatDocument,
};
const documents: Documents = {
    "\n  mutation SdkLogin($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      accessToken\n      expiresAt\n      user {\n        id\n        email\n        name\n        roles\n      }\n    }\n  }\n": types.SdkLoginDocument,
    "\n  query SdkDataset($id: ID!) {\n    dataset(id: $id) {\n      id\n      name\n      description\n      tableName\n      format\n      tags\n      columns {\n        name\n        type\n        nullable\n      }\n      createdAt\n      updatedAt\n    }\n  }\n": types.SdkDatasetDocument,
    "\n  query SdkDatasetPreview($id: ID!, $limit: Int!) {\n    dataset(id: $id) {\n      id\n      preview(limit: $limit) {\n        columns {\n          name\n          type\n          nullable\n        }\n        rows\n        totalRows\n      }\n    }\n  }\n": types.SdkDatasetPreviewDocument,
    "\n  query SdkDatasets($first: Int, $after: String, $search: String) {\n    datasets(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          description\n          tableName\n          format\n          tags\n          createdAt\n          updatedAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": types.SdkDatasetsDocument,
    "\n  query SdkModels($kind: ModelKind, $first: Int, $after: String) {\n    models(kind: $kind, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": types.SdkModelsDocument,
    "\n  mutation SdkSendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      userMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n      assistantMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n": types.SdkSendMessageDocument,
    "\n  mutation SdkStopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      role\n      content\n      status\n      createdAt\n    }\n  }\n": types.SdkStopGenerationDocument,
    "\n  fragment SdkMessageStreamEvent on MessageStreamEvent {\n    __typename\n    ... on MessageToken {\n      seq\n      delta\n    }\n    ... on MessageCitations {\n      seq\n      citations {\n        index\n        documentId\n        documentName\n        chunkId\n        snippet\n        score\n      }\n    }\n    ... on MessageHeartbeat {\n      seq\n    }\n    ... on MessageDone {\n      seq\n      message {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n    ... on MessageFailed {\n      seq\n      code\n      reason\n      message {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n": types.SdkMessageStreamEventFragmentDoc,
    "\n  subscription SdkMessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      ...SdkMessageStreamEvent\n    }\n  }\n": types.SdkMessageStreamDocument,
    "\n  subscription SdkChat($input: SendMessageInput!) {\n    chat(input: $input) {\n      __typename\n      ... on MessageStarted {\n        seq\n        userMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n        assistantMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n      }\n      ...SdkMessageStreamEvent\n    }\n  }\n": types.SdkChatDocument,
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
export function graphql(source: "\n  mutation SdkLogin($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      accessToken\n      expiresAt\n      user {\n        id\n        email\n        name\n        roles\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkLogin($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      accessToken\n      expiresAt\n      user {\n        id\n        email\n        name\n        roles\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SdkDataset($id: ID!) {\n    dataset(id: $id) {\n      id\n      name\n      description\n      tableName\n      format\n      tags\n      columns {\n        name\n        type\n        nullable\n      }\n      createdAt\n      updatedAt\n    }\n  }\n"): (typeof documents)["\n  query SdkDataset($id: ID!) {\n    dataset(id: $id) {\n      id\n      name\n      description\n      tableName\n      format\n      tags\n      columns {\n        name\n        type\n        nullable\n      }\n      createdAt\n      updatedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SdkDatasetPreview($id: ID!, $limit: Int!) {\n    dataset(id: $id) {\n      id\n      preview(limit: $limit) {\n        columns {\n          name\n          type\n          nullable\n        }\n        rows\n        totalRows\n      }\n    }\n  }\n"): (typeof documents)["\n  query SdkDatasetPreview($id: ID!, $limit: Int!) {\n    dataset(id: $id) {\n      id\n      preview(limit: $limit) {\n        columns {\n          name\n          type\n          nullable\n        }\n        rows\n        totalRows\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SdkDatasets($first: Int, $after: String, $search: String) {\n    datasets(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          description\n          tableName\n          format\n          tags\n          createdAt\n          updatedAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query SdkDatasets($first: Int, $after: String, $search: String) {\n    datasets(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          description\n          tableName\n          format\n          tags\n          createdAt\n          updatedAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SdkModels($kind: ModelKind, $first: Int, $after: String) {\n    models(kind: $kind, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  query SdkModels($kind: ModelKind, $first: Int, $after: String) {\n    models(kind: $kind, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkSendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      userMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n      assistantMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SdkSendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      userMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n      assistantMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SdkStopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      role\n      content\n      status\n      createdAt\n    }\n  }\n"): (typeof documents)["\n  mutation SdkStopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      role\n      content\n      status\n      createdAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SdkMessageStreamEvent on MessageStreamEvent {\n    __typename\n    ... on MessageToken {\n      seq\n      delta\n    }\n    ... on MessageCitations {\n      seq\n      citations {\n        index\n        documentId\n        documentName\n        chunkId\n        snippet\n        score\n      }\n    }\n    ... on MessageHeartbeat {\n      seq\n    }\n    ... on MessageDone {\n      seq\n      message {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n    ... on MessageFailed {\n      seq\n      code\n      reason\n      message {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment SdkMessageStreamEvent on MessageStreamEvent {\n    __typename\n    ... on MessageToken {\n      seq\n      delta\n    }\n    ... on MessageCitations {\n      seq\n      citations {\n        index\n        documentId\n        documentName\n        chunkId\n        snippet\n        score\n      }\n    }\n    ... on MessageHeartbeat {\n      seq\n    }\n    ... on MessageDone {\n      seq\n      message {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n    ... on MessageFailed {\n      seq\n      code\n      reason\n      message {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SdkMessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      ...SdkMessageStreamEvent\n    }\n  }\n"): (typeof documents)["\n  subscription SdkMessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      ...SdkMessageStreamEvent\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SdkChat($input: SendMessageInput!) {\n    chat(input: $input) {\n      __typename\n      ... on MessageStarted {\n        seq\n        userMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n        assistantMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n      }\n      ...SdkMessageStreamEvent\n    }\n  }\n"): (typeof documents)["\n  subscription SdkChat($input: SendMessageInput!) {\n    chat(input: $input) {\n      __typename\n      ... on MessageStarted {\n        seq\n        userMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n        assistantMessage {\n          id\n          role\n          content\n          status\n          createdAt\n        }\n      }\n      ...SdkMessageStreamEvent\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;