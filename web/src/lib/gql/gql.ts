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
    "\n  query Me {\n    me {\n      id\n      email\n      name\n      roles\n    }\n  }\n": typeof types.MeDocument,
    "\n  mutation CompleteSetup($input: CompleteSetupInput!) {\n    completeSetup(input: $input) {\n      accessToken\n      user {\n        id\n      }\n    }\n  }\n": typeof types.CompleteSetupDocument,
    "\n  query Conversations($first: Int, $after: String, $search: String) {\n    conversations(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          updatedAt\n          model {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": typeof types.ConversationsDocument,
    "\n  query Conversation($id: ID!) {\n    conversation(id: $id) {\n      id\n      title\n      messages {\n        id\n        role\n        content\n        status\n        errorReason\n        createdAt\n      }\n    }\n  }\n": typeof types.ConversationDocument,
    "\n  query ChatModels($first: Int) {\n    models(kind: CHAT, first: $first) {\n      edges {\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n    }\n  }\n": typeof types.ChatModelsDocument,
    "\n  mutation CreateConversation($input: CreateConversationInput!) {\n    createConversation(input: $input) {\n      id\n      title\n      updatedAt\n      model {\n        id\n      }\n    }\n  }\n": typeof types.CreateConversationDocument,
    "\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      userMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n      assistantMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n": typeof types.SendMessageDocument,
    "\n  mutation StopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      status\n      content\n    }\n  }\n": typeof types.StopGenerationDocument,
    "\n  subscription MessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      __typename\n      ... on MessageToken {\n        seq\n        delta\n      }\n      ... on MessageDone {\n        seq\n        message {\n          id\n          content\n          status\n        }\n      }\n      ... on MessageFailed {\n        seq\n        code\n        reason\n        message {\n          id\n          content\n          status\n        }\n      }\n    }\n  }\n": typeof types.MessageStreamDocument,
};
const documents: Documents = {
    "\n  query Me {\n    me {\n      id\n      email\n      name\n      roles\n    }\n  }\n": types.MeDocument,
    "\n  mutation CompleteSetup($input: CompleteSetupInput!) {\n    completeSetup(input: $input) {\n      accessToken\n      user {\n        id\n      }\n    }\n  }\n": types.CompleteSetupDocument,
    "\n  query Conversations($first: Int, $after: String, $search: String) {\n    conversations(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          updatedAt\n          model {\n            id\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n": types.ConversationsDocument,
    "\n  query Conversation($id: ID!) {\n    conversation(id: $id) {\n      id\n      title\n      messages {\n        id\n        role\n        content\n        status\n        errorReason\n        createdAt\n      }\n    }\n  }\n": types.ConversationDocument,
    "\n  query ChatModels($first: Int) {\n    models(kind: CHAT, first: $first) {\n      edges {\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n    }\n  }\n": types.ChatModelsDocument,
    "\n  mutation CreateConversation($input: CreateConversationInput!) {\n    createConversation(input: $input) {\n      id\n      title\n      updatedAt\n      model {\n        id\n      }\n    }\n  }\n": types.CreateConversationDocument,
    "\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      userMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n      assistantMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n": types.SendMessageDocument,
    "\n  mutation StopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      status\n      content\n    }\n  }\n": types.StopGenerationDocument,
    "\n  subscription MessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      __typename\n      ... on MessageToken {\n        seq\n        delta\n      }\n      ... on MessageDone {\n        seq\n        message {\n          id\n          content\n          status\n        }\n      }\n      ... on MessageFailed {\n        seq\n        code\n        reason\n        message {\n          id\n          content\n          status\n        }\n      }\n    }\n  }\n": types.MessageStreamDocument,
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
export function graphql(source: "\n  query Conversation($id: ID!) {\n    conversation(id: $id) {\n      id\n      title\n      messages {\n        id\n        role\n        content\n        status\n        errorReason\n        createdAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query Conversation($id: ID!) {\n    conversation(id: $id) {\n      id\n      title\n      messages {\n        id\n        role\n        content\n        status\n        errorReason\n        createdAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ChatModels($first: Int) {\n    models(kind: CHAT, first: $first) {\n      edges {\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ChatModels($first: Int) {\n    models(kind: CHAT, first: $first) {\n      edges {\n        node {\n          id\n          name\n          kind\n          provider\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateConversation($input: CreateConversationInput!) {\n    createConversation(input: $input) {\n      id\n      title\n      updatedAt\n      model {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateConversation($input: CreateConversationInput!) {\n    createConversation(input: $input) {\n      id\n      title\n      updatedAt\n      model {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      userMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n      assistantMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      userMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n      assistantMessage {\n        id\n        role\n        content\n        status\n        createdAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      status\n      content\n    }\n  }\n"): (typeof documents)["\n  mutation StopGeneration($messageId: ID!) {\n    stopGeneration(messageId: $messageId) {\n      id\n      status\n      content\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      __typename\n      ... on MessageToken {\n        seq\n        delta\n      }\n      ... on MessageDone {\n        seq\n        message {\n          id\n          content\n          status\n        }\n      }\n      ... on MessageFailed {\n        seq\n        code\n        reason\n        message {\n          id\n          content\n          status\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription MessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      __typename\n      ... on MessageToken {\n        seq\n        delta\n      }\n      ... on MessageDone {\n        seq\n        message {\n          id\n          content\n          status\n        }\n      }\n      ... on MessageFailed {\n        seq\n        code\n        reason\n        message {\n          id\n          content\n          status\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;