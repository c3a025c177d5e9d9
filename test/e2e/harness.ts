// Boots the whole platform (built servers, real processes) on free ports in a temporary data folder, and offers
// the public clients a user would use: HTTP GraphQL, graphql-ws, the openai SDK.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
// @ts-expect-error -- plain ESM script without type declarations
import { startPlatform } from "../../scripts/platform.mjs";

export const ADMIN = { email: "admin@example.com", password: "e2e-admin-password" };

export interface Platform {
  url: string;
  ports: Record<string, number>;
  dataDir: string;
  internalSecret: string;
  logs: string[];
  stop(): Promise<void>;
}

export async function bootPlatform(env: Record<string, string> = {}): Promise<Platform> {
  const dataDir = await mkdtemp(join(tmpdir(), "ods-e2e-"));
  const logs: string[] = [];
  const platform = await startPlatform({
    randomPorts: true,
    onLog: (name: string, line: string) => logs.push(`[${name}] ${line}`),
    env: {
      ODS_DATA_DIR: dataDir,
      ODS_ADMIN_EMAIL: ADMIN.email,
      ODS_ADMIN_PASSWORD: ADMIN.password,
      ODS_LOG_LEVEL: "warn",
      ODS_BUILTIN_TOKEN_DELAY_MS: "20",
      ODS_REDIS_URL: "",
      ODS_DATABASE_URL: "",
      ODS_INTERNAL_SECRET: "",
      ...env,
    },
  }).catch(async (err: Error) => {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`${err.message}\n${logs.slice(-40).join("\n")}`);
  });
  return {
    ...platform,
    logs,
    async stop() {
      await platform.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
  headers: Headers;
}

export async function gql<T = any>(
  platform: Platform,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GqlResult<T>> {
  const res = await fetch(`${platform.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: GqlResult["errors"] };
  return { status: res.status, data: body.data ?? undefined, errors: body.errors, headers: res.headers };
}

/** Like {@link gql}, but fails the test on any error. */
export async function gqlOk<T = any>(
  platform: Platform,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const result = await gql<T>(platform, query, variables, token);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL error: ${JSON.stringify(result.errors)}`);
  return result.data;
}

export async function login(platform: Platform, user = ADMIN): Promise<string> {
  const data = await gqlOk(
    platform,
    "mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
    {
      e: user.email,
      p: user.password,
    },
  );
  return data.login.accessToken as string;
}

export function wsClient(platform: Platform, token: string): Client {
  return createClient({
    url: `${platform.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
}

/** Runs a subscription and collects results until `until` says stop (or the server completes it). */
export async function collect<T = any>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  until: (event: T, all: T[]) => boolean = () => false,
  timeoutMs = 30_000,
): Promise<T[]> {
  const events: T[] = [];
  const iterator = client.iterate<T>({ query, variables });
  const timer = setTimeout(() => void iterator.return?.(), timeoutMs);
  try {
    for await (const result of iterator) {
      if (result.errors?.length) throw new Error(`subscription error: ${JSON.stringify(result.errors)}`);
      const event = result.data as T;
      events.push(event);
      if (until(event, events)) break;
    }
  } finally {
    clearTimeout(timer);
    await iterator.return?.();
  }
  return events;
}
