import { graphql } from "$lib/gql";

// Every operation the web app sends, in one place: codegen reads these and types each one in `$lib/gql`.
// Operations must be named (STACK.md pitfall 18).

export const MeQuery = graphql(`
  query Me {
    me {
      id
      email
      name
      roles
    }
  }
`);

export const CompleteSetupMutation = graphql(`
  mutation CompleteSetup($input: CompleteSetupInput!) {
    completeSetup(input: $input) {
      accessToken
      user {
        id
      }
    }
  }
`);

export const ConversationsQuery = graphql(`
  query Conversations($first: Int, $after: String, $search: String) {
    conversations(first: $first, after: $after, search: $search) {
      edges {
        cursor
        node {
          id
          title
          updatedAt
          model {
            id
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

export const ConversationQuery = graphql(`
  query Conversation($id: ID!) {
    conversation(id: $id) {
      id
      title
      messages {
        id
        role
        content
        status
        errorReason
        createdAt
        citations {
          index
          documentName
          snippet
        }
      }
    }
  }
`);

export const ChatModelsQuery = graphql(`
  query ChatModels($first: Int) {
    models(kind: CHAT, first: $first) {
      edges {
        node {
          id
          name
          kind
          provider
        }
      }
    }
  }
`);

export const ChatKnowledgeBasesQuery = graphql(`
  query ChatKnowledgeBases($first: Int) {
    knowledgeBases(first: $first) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

export const StopGenerationMutation = graphql(`
  mutation StopGeneration($messageId: ID!) {
    stopGeneration(messageId: $messageId) {
      id
      status
      content
    }
  }
`);

/** A reply's stream events, as `messageStream` sends them and `chat` after its MessageStarted. */
export const StreamEventFragment = graphql(`
  fragment StreamEvent on MessageStreamEvent {
    __typename
    ... on MessageToken {
      seq
      delta
    }
    ... on MessageCitations {
      seq
      citations {
        index
        documentName
        snippet
      }
    }
    ... on MessageHeartbeat {
      seq
    }
    ... on MessageDone {
      seq
      message {
        id
        content
        status
      }
    }
    ... on MessageFailed {
      seq
      code
      reason
      message {
        id
        content
        status
      }
    }
  }
`);

export const MessageStreamSubscription = graphql(`
  subscription MessageStream($messageId: ID!, $afterSeq: Int) {
    messageStream(messageId: $messageId, afterSeq: $afterSeq) {
      ...StreamEvent
    }
  }
`);

/** Sends a message and streams its reply: MessageStarted (the stored messages), then the reply's events. */
export const ChatSubscription = graphql(`
  subscription Chat($input: SendMessageInput!) {
    chat(input: $input) {
      __typename
      ... on MessageStarted {
        seq
        conversation {
          id
          title
          updatedAt
        }
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
      ...StreamEvent
    }
  }
`);
