import { graphql } from "./gql/index.js";

// Every operation the SDK sends, typed by codegen into ./gql. Operations must be named (STACK.md pitfall 18).

export const LoginMutation = graphql(`
  mutation SdkLogin($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      accessToken
      expiresAt
      user {
        id
        email
        name
        roles
      }
    }
  }
`);

export const DatasetQuery = graphql(`
  query SdkDataset($id: ID!) {
    dataset(id: $id) {
      id
      name
      description
      tableName
      format
      tags
      columns {
        name
        type
        nullable
      }
      createdAt
      updatedAt
    }
  }
`);

export const DatasetPreviewQuery = graphql(`
  query SdkDatasetPreview($id: ID!, $limit: Int!) {
    dataset(id: $id) {
      id
      preview(limit: $limit) {
        columns {
          name
          type
          nullable
        }
        rows
        totalRows
      }
    }
  }
`);

export const DatasetsQuery = graphql(`
  query SdkDatasets($first: Int, $after: String, $search: String) {
    datasets(first: $first, after: $after, search: $search) {
      edges {
        cursor
        node {
          id
          name
          description
          tableName
          format
          tags
          createdAt
          updatedAt
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

export const ModelsQuery = graphql(`
  query SdkModels($kind: ModelKind, $first: Int, $after: String) {
    models(kind: $kind, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          name
          kind
          provider
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

// No longer sent (`ChatStream` uses `chat`), but kept: its generated types are part of the SDK's exports
// (`SdkSendMessageMutation`, and through it `ChatMessage` and `SentMessages`).
export const SendMessageMutation = graphql(`
  mutation SdkSendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      userMessage {
        id
        role
        content
        status
        createdAt
      }
      assistantMessage {
        id
        role
        content
        status
        createdAt
      }
    }
  }
`);

export const StopGenerationMutation = graphql(`
  mutation SdkStopGeneration($messageId: ID!) {
    stopGeneration(messageId: $messageId) {
      id
      role
      content
      status
      createdAt
    }
  }
`);

/** A reply's stream events, as `messageStream` sends them and `chat` after its MessageStarted. */
export const MessageStreamEventFragment = graphql(`
  fragment SdkMessageStreamEvent on MessageStreamEvent {
    __typename
    ... on MessageToken {
      seq
      delta
    }
    ... on MessageCitations {
      seq
      citations {
        index
        documentId
        documentName
        chunkId
        snippet
        score
      }
    }
    ... on MessageHeartbeat {
      seq
    }
    ... on MessageDone {
      seq
      message {
        id
        role
        content
        status
        createdAt
      }
    }
    ... on MessageFailed {
      seq
      code
      reason
      message {
        id
        role
        content
        status
        createdAt
      }
    }
  }
`);

export const MessageStreamSubscription = graphql(`
  subscription SdkMessageStream($messageId: ID!, $afterSeq: Int) {
    messageStream(messageId: $messageId, afterSeq: $afterSeq) {
      ...SdkMessageStreamEvent
    }
  }
`);

/** Sends a message and streams its reply: MessageStarted (the stored messages), then the reply's events. */
export const ChatSubscription = graphql(`
  subscription SdkChat($input: SendMessageInput!) {
    chat(input: $input) {
      __typename
      ... on MessageStarted {
        seq
        userMessage {
          id
          role
          content
          status
          createdAt
        }
        assistantMessage {
          id
          role
          content
          status
          createdAt
        }
      }
      ...SdkMessageStreamEvent
    }
  }
`);
