import "reflect-metadata";
import type { MikroORM } from "@mikro-orm/core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, INTERNAL_TOKEN_HEADER, openDatabase, signInternalToken, type Caller } from "@ods/kit";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { startConversationSubgraph, type ConversationOptions, type ConversationSubgraph } from "../src/app.js";
import { loadConversationConfig } from "../src/config.js";
import { migrations } from "../src/migrations/index.js";
import { entities } from "../src/schema.js";

export const SECRET = "test-secret-that-is-long-enough-0123456789";

export const tempDir = () => mkdtempSync(join(tmpdir(), "ods-conversation-"));

/**
 * Starts the subgraph in-process on a free port, on the SQLite file in `dataDir` (or the PostgreSQL or MariaDB
 * database at `databaseUrl`).
 */
export async function startInstance(options: {
  dataDir: string;
  modelUrl: string;
  redisUrl?: string;
  databaseUrl?: string;
  env?: Record<string, string>;
  /** Timing, and outside services such as the user directory knowledge bases are shared through. */
  tuning?: ConversationOptions;
}): Promise<ConversationSubgraph & { orm: MikroORM }> {
  const config = loadConversationConfig({
    ODS_INTERNAL_SECRET: SECRET,
    ODS_CONVERSATION_PORT: "0",
    ODS_DATA_DIR: options.dataDir,
    ODS_MODEL_URL: options.modelUrl,
    ODS_REDIS_URL: options.redisUrl,
    ODS_DATABASE_URL: options.databaseUrl,
    ODS_LOG_LEVEL: "silent",
    ...options.env,
  });
  const logger = createLogger("conversation-test", config.ODS_LOG_LEVEL);
  const orm = await openDatabase({
    name: "conversation",
    dataDir: config.ODS_DATA_DIR,
    databaseUrl: config.ODS_DATABASE_URL,
    entities,
    migrations,
  });
  // The ORM too, for tests that race the services directly or act as another replica on the same database.
  return Object.assign(await startConversationSubgraph(config, orm, logger, options.tuning), { orm });
}

export interface GqlResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A GraphQL call as the gateway makes it: POST with the signed internal token. */
export async function gql<T = Record<string, any>>( // eslint-disable-line @typescript-eslint/no-explicit-any
  url: string,
  caller: Caller,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", [INTERNAL_TOKEN_HEADER]: await signInternalToken(SECRET, caller) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult<T>;
}

/** Like {@link gql}, but fails the test on any error. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function gqlOk<T = Record<string, any>>(
  url: string,
  caller: Caller,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const result = await gql<T>(url, caller, query, variables);
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data!;
}

export interface StreamEvent {
  __typename: "MessageToken" | "MessageCitations" | "MessageHeartbeat" | "MessageDone" | "MessageFailed";
  seq: number;
  delta?: string;
  citations?: Record<string, unknown>[];
  code?: string;
  reason?: string;
  message?: { id: string; status: string; content: string; lastSeq: number; usage: unknown };
}

export const STREAM = /* GraphQL */ `
  subscription Stream($messageId: ID!, $afterSeq: Int) {
    messageStream(messageId: $messageId, afterSeq: $afterSeq) {
      __typename
      ... on MessageToken {
        seq
        delta
      }
      ... on MessageCitations {
        seq
        citations {
          marker
          knowledgeBaseId
          documentId
          documentName
          chunkId
          position
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
          status
          content
          lastSeq
          usage {
            promptTokens
            completionTokens
            totalTokens
          }
        }
      }
      ... on MessageFailed {
        seq
        code
        reason
        message {
          id
          status
          content
          lastSeq
        }
      }
    }
  }
`;

/**
 * Subscribes to `messageStream` over graphql-ws, like the gateway's forwarder does. Resolves with the events
 * once the stream completes, or once `stopAfter` events have arrived (then it unsubscribes: a "disconnect").
 */
export async function readStream(
  url: string,
  caller: Caller,
  messageId: string,
  options: { afterSeq?: number; stopAfter?: number; onEvent?: (e: StreamEvent) => void } = {},
): Promise<{ events: StreamEvent[]; errors?: unknown }> {
  const token = await signInternalToken(SECRET, caller);
  const client = createClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { [INTERNAL_TOKEN_HEADER]: token },
    retryAttempts: 0,
  });
  const events: StreamEvent[] = [];
  try {
    const iterator = client.iterate<{ messageStream: StreamEvent }>({
      query: STREAM,
      variables: { messageId, afterSeq: options.afterSeq ?? null },
    });
    for await (const result of iterator) {
      if (result.errors) return { events, errors: result.errors };
      const event = result.data!.messageStream;
      events.push(event);
      options.onEvent?.(event);
      if (options.stopAfter !== undefined && events.length >= options.stopAfter) break;
    }
    return { events };
  } catch (errors) {
    return { events, errors };
  } finally {
    await client.dispose();
  }
}

export const user = (id: string): Caller => ({ userId: id, email: `${id}@example.com`, roles: ["editor"] });
