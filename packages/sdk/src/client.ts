import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { getOperationAST, print, type DocumentNode } from "graphql";
import { createClient, type Client as WsClient } from "graphql-ws";
import { ChatApi } from "./chat.js";
import { DatasetsApi } from "./datasets.js";
import { LoginMutation } from "./documents.js";
import { OdsError, type GraphQLErrorEntry } from "./errors.js";
import type { SdkLoginMutation } from "./gql/graphql.js";
import { ModelsApi } from "./models.js";
import { describeSocketError, webSocketClass } from "./socket.js";
import type { Transport, VariablesArg } from "./transport.js";

/** How to reach the platform. */
export interface OneDataStudioOptions {
  /** The gateway's base URL, such as `http://localhost:4000` (a URL ending in `/graphql` works too). */
  url: string;
  /** An API key (`createApiKey`), sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** An access token from `login`; {@link OneDataStudio.login} sets it for you. Wins over `apiKey`. */
  accessToken?: string;
  /** The `fetch` to use. @defaultValue the global `fetch` */
  fetch?: typeof fetch;
  /** The WebSocket class for subscriptions. @defaultValue the global `WebSocket`, else the `ws` package */
  webSocketImpl?: unknown;
}

/** The result of {@link OneDataStudio.login}. */
export type LoginResult = SdkLoginMutation["login"];

interface GraphQLResponse<R> {
  data?: R | null;
  errors?: GraphQLErrorEntry[];
}

/**
 * The typed client of One Data Studio's public API, for Node (20+) and browsers.
 *
 * @example
 * ```ts
 * const ods = new OneDataStudio({ url: "http://localhost:4000", apiKey: process.env.ODS_API_KEY });
 * const ds = await ods.datasets.get(id);
 * for await (const row of ds.rows()) console.log(row);
 * for await (const delta of ods.chat.stream({ conversationId, content: "Hello" })) process.stdout.write(delta);
 * await ods.close();
 * ```
 */
export class OneDataStudio implements Transport {
  /** Datasets: metadata, preview and every row. */
  readonly datasets: DatasetsApi;
  /** The model registry. */
  readonly models: ModelsApi;
  /** Send messages and stream answers. */
  readonly chat: ChatApi;

  readonly #httpUrl: string;
  readonly #wsUrl: string;
  readonly #fetch: typeof fetch;
  readonly #webSocketImpl: unknown;
  readonly #apiKey: string | undefined;
  #accessToken: string | undefined;
  #socket: Promise<WsClient> | undefined;

  constructor(options: OneDataStudioOptions) {
    const base = new URL(options.url);
    const path = base.pathname.replace(/\/+$/, "");
    base.pathname = path.endsWith("/graphql") ? path : `${path}/graphql`;
    base.search = "";
    base.hash = "";
    this.#httpUrl = base.toString();
    base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    this.#wsUrl = base.toString();
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#webSocketImpl = options.webSocketImpl;
    this.#apiKey = options.apiKey;
    this.#accessToken = options.accessToken;
    this.datasets = new DatasetsApi(this);
    this.models = new ModelsApi(this);
    this.chat = new ChatApi(this);
  }

  /** The access token in use, if any (from the options or {@link OneDataStudio.login}). */
  get accessToken(): string | undefined {
    return this.#accessToken;
  }

  /**
   * Signs in with email and password and uses the access token for every later call.
   * @throws {@link OdsError} `UNAUTHENTICATED` (or `BAD_USER_INPUT`) when the credentials are wrong.
   */
  async login(email: string, password: string): Promise<LoginResult> {
    const { login } = await this.graphql(LoginMutation, { email, password });
    this.#accessToken = login.accessToken;
    // A socket opened before keeps the identity it was opened with; the next subscription opens a new one.
    await this.#closeSocket();
    return login;
  }

  /**
   * A GET of one of the gateway's REST routes, with the client's credential.
   * @throws {@link OdsError} `NETWORK_ERROR` when the gateway cannot be reached.
   */
  async get(path: string, signal?: AbortSignal): Promise<Response> {
    const credential = this.#credential();
    const url = new URL(path, this.#httpUrl);
    try {
      return await this.#fetch(url.toString(), {
        headers: credential ? { authorization: `Bearer ${credential}` } : {},
        signal,
      });
    } catch (error) {
      throw new OdsError("NETWORK_ERROR", `Cannot reach ${url.origin}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Runs a typed query or mutation (a document from `graphql()` in codegen's client preset).
   * @throws {@link OdsError} carrying `extensions.code` when the response has errors.
   */
  async graphql<R, V>(document: TypedDocumentNode<R, V>, ...[variables]: VariablesArg<V>): Promise<R> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
    };
    const credential = this.#credential();
    if (credential) headers.authorization = `Bearer ${credential}`;
    let response: Response;
    try {
      response = await this.#fetch(this.#httpUrl, {
        method: "POST",
        headers,
        body: JSON.stringify({
          query: print(document),
          variables: variables ?? {},
          operationName: operationName(document),
        }),
      });
    } catch (error) {
      throw new OdsError("NETWORK_ERROR", `Cannot reach ${this.#httpUrl}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const body = (await response.json().catch(() => null)) as GraphQLResponse<R> | null;
    if (body?.errors?.length) throw OdsError.fromGraphQL(body.errors, response.status);
    if (!response.ok || !body?.data) {
      throw new OdsError("HTTP_ERROR", `${this.#httpUrl} answered ${response.status} ${response.statusText}`.trim(), {
        status: response.status,
      });
    }
    return body.data;
  }

  /**
   * Opens one typed subscription over graphql-ws.
   *
   * @remarks
   * It does not reconnect: when the socket drops, the iteration throws the close event, so that callers of
   * replayable streams can resume after the last event they saw (the chat stream does). GraphQL errors throw
   * an {@link OdsError}.
   */
  async *subscribe<R, V>(
    document: TypedDocumentNode<R, V>,
    ...[variables]: VariablesArg<V>
  ): AsyncGenerator<R, void, undefined> {
    const socket = await this.#socketClient();
    const results = socket.iterate<R>({
      query: print(document),
      variables: (variables ?? {}) as Record<string, unknown>,
      operationName: operationName(document),
    });
    try {
      for await (const result of results) {
        if (result.errors?.length) throw OdsError.fromGraphQL(result.errors as GraphQLErrorEntry[]);
        if (result.data) yield result.data;
      }
    } catch (error) {
      if (error instanceof OdsError) throw error;
      if (Array.isArray(error)) throw OdsError.fromGraphQL(error as GraphQLErrorEntry[]);
      // Keep the close event's code for the retry decision, with a readable message.
      throw Object.assign(new Error(`Subscription failed: ${describeSocketError(error)}`), {
        code: (error as { code?: unknown } | null)?.code,
        cause: error,
      });
    } finally {
      await results.return?.();
    }
  }

  /** Closes the WebSocket, if one is open. The client stays usable: the next subscription opens another. */
  async close(): Promise<void> {
    await this.#closeSocket();
  }

  #credential(): string | undefined {
    return this.#accessToken ?? this.#apiKey;
  }

  #socketClient(): Promise<WsClient> {
    this.#socket ??= webSocketClass(this.#webSocketImpl).then((webSocketImpl) =>
      createClient({
        url: this.#wsUrl,
        webSocketImpl,
        lazy: true,
        // Close soon after the last subscription, so that a Node script can end without calling close().
        lazyCloseTimeout: 0,
        // Resuming is the caller's business: graphql-ws would re-send the old variables (the old afterSeq).
        retryAttempts: 0,
        connectionParams: () => {
          const credential = this.#credential();
          return credential ? { authorization: `Bearer ${credential}` } : {};
        },
      }),
    );
    return this.#socket;
  }

  async #closeSocket(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await (await socket).dispose();
  }
}

function operationName(document: DocumentNode): string | undefined {
  return getOperationAST(document)?.name?.value;
}
