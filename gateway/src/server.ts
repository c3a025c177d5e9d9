import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { expressMiddleware } from "@as-integrations/express5";
import {
  AppError,
  ErrorCode,
  maskError,
  createObjectStore,
  REQUEST_ID_HEADER,
  requestIdFrom,
  requestScope,
  type Caller,
  type Logger,
  createDocumentCache,
  LISTEN_BACKLOG,
  traceMark,
} from "@ods/kit";
import cors from "cors";
import express, { type NextFunction, type Request, type Response } from "express";
import { parse, type GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { apiKeyScopePlugin, Authenticator, checkSubscriptionScope, SESSION_COOKIE } from "./auth.js";
import { subgraphUrls, type GatewayConfig } from "./config.js";
import type { GatewayContext } from "./context.js";
import { InternalDataSource } from "./data-source.js";
import { InternalTokens } from "./internal-tokens.js";
import { openAiRoutes } from "./routes/openai.js";
import { passThrough } from "./routes/pass-through.js";
import { oidcRoutes, oidcSettings } from "./routes/oidc.js";
import { defaultSecureCookies, sessionCookie, sessionRefresher, sessionRoutes } from "./routes/session.js";
import { uploadRoutes } from "./routes/uploads.js";
import { webRoutes } from "./routes/web.js";
import { DEFENCE_CODES, refuse, type DefenceError } from "./security/errors.js";
import { securitySettings } from "./security/settings.js";
import { useJsonOnly, useOriginCheck } from "./security/use-csrf.js";
import { useGraphqlGuard } from "./security/use-graphql-guard.js";
import { createTokenBuckets, useMutationRateLimits, useRateLimit } from "./security/use-rate-limit.js";
import { useSecurityHeaders } from "./security/use-security-headers.js";
import { defaultManifestPaths, TrustedDocuments } from "./security/use-trusted-documents.js";
import { wsLimits } from "./security/use-ws-limits.js";
import { ConnectionUpstreams, forwardSubscription } from "./subscriptions/forwarder.js";
import { indexSupergraph, type SupergraphIndex } from "./subscriptions/supergraph-index.js";

// Apollo's packages report telemetry unless told not to (STACK.md pitfall 5): the platform phones home nowhere.
process.env.APOLLO_TELEMETRY_DISABLED ??= "true";

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Sets the session cookie when a browser signs in through the GraphQL `login` mutation. */
const loginCookiePlugin = (secure: boolean): ApolloServerPlugin<GatewayContext> => ({
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== "single") return;
        const login = (
          response.body.singleResult.data as { login?: { accessToken?: string; expiresAt?: string } } | null
        )?.login;
        if (login?.accessToken && login.expiresAt) {
          response.http.headers.set("set-cookie", sessionCookie(login.accessToken, new Date(login.expiresAt), secure));
        }
      },
    };
  },
});

/**
 * Builds and starts the gateway: GraphQL over HTTP (Apollo Gateway over the committed supergraph), subscriptions
 * over graphql-ws on the same path, the REST routes, and the web app, on one port.
 */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const security = securitySettings(config);
  const production = security.production;
  const secureCookies = config.ODS_COOKIE_SECURE ?? defaultSecureCookies(config.ODS_PUBLIC_URL);
  const urls = Object.fromEntries(Object.entries(subgraphUrls(config)).map(([k, v]) => [k, v.replace(/\/+$/, "")]));
  const auth = new Authenticator(urls.identity!, config.ODS_INTERNAL_SECRET);
  const internalTokens = new InternalTokens(config.ODS_INTERNAL_SECRET);
  const supergraphSdl = readFileSync(config.ODS_SUPERGRAPH_PATH, "utf8");
  const trusted = security.trustedDocuments.enabled
    ? TrustedDocuments.fromFiles(security.trustedDocuments.paths ?? defaultManifestPaths())
    : undefined;
  if (trusted) logger.info({ documents: trusted.size }, "trusted documents mode: only known operations run");
  const buckets = createTokenBuckets(security.rateLimit.redisUrl, logger);

  let apiSchema: GraphQLSchema | undefined;
  let index: SupergraphIndex = indexSupergraph(parse(supergraphSdl));
  const gateway = new ApolloGateway({
    supergraphSdl,
    // The supergraph carries default URLs; the configured ones win, matched by subgraph name.
    buildService: ({ name, url }) => new InternalDataSource(urls[name] ? `${urls[name]}/graphql` : url!),
  });
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema, coreSupergraphSdl }) => {
    apiSchema = schema;
    index = indexSupergraph(parse(coreSupergraphSdl));
  });

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback");
  const httpServer = createServer(app);
  // Slow clients may not hold connections open: the headers within 20 s, the whole request within 5 min.
  httpServer.requestTimeout = security.timeouts.requestMs;
  httpServer.headersTimeout = security.timeouts.headersMs;

  app.use((req, res, next) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    requestScope.run({ requestId, logger: logger.child({ requestId }) }, next);
  });
  app.use(
    useSecurityHeaders({
      webDir: config.ODS_WEB_DIR,
      csp: security.csp,
      // Apollo's explorer (development only) loads its scripts from Apollo's CDN.
      skipCsp: (req) => !production && req.path === "/graphql" && req.method === "GET" && !req.query.query,
    }),
  );
  if (config.ODS_CORS_ORIGINS.length) app.use(cors({ origin: config.ODS_CORS_ORIGINS, credentials: true }));
  app.use(useOriginCheck({ allowedOrigins: config.ODS_CORS_ORIGINS, cookieName: SESSION_COOKIE, refuse }));
  // Browsers whose access cookie lapsed are refreshed from their refresh cookie before anything else looks at them.
  app.use(sessionRefresher({ auth, secureCookies }));

  /** The bucket a request draws from: its user, its API key, or (anonymous or bad credentials) its address. */
  const callerKey = async (req: Request): Promise<string> => {
    try {
      const credential = auth.credential(req.headers);
      if (credential) {
        const caller = await auth.authenticate(credential);
        if (credential.startsWith("ods_")) return `key:${createHash("sha256").update(credential).digest("hex")}`;
        if (caller.userId) return `user:${caller.userId}`;
      }
    } catch {
      // A bad credential is refused later with 401; until then it counts against the address it came from.
    }
    return `ip:${req.ip}`;
  };
  /** The REST routes answer errors as `{ error: { code, message } }`. */
  const refuseRest = (res: Response, error: DefenceError) => {
    res.status(error.status).json({ error: { code: error.extensions.code, message: error.message } });
  };
  if (security.rateLimit.enabled) {
    const limiter = (refuseWith: typeof refuse) =>
      useRateLimit({ buckets, policy: security.rateLimit.requests, key: callerKey, refuse: refuseWith });
    app.use("/graphql", limiter(refuse));
    app.use(["/auth", "/v1", "/api"], limiter(refuseRest));
    app.use(
      "/auth/login",
      useRateLimit({
        buckets,
        policy: security.rateLimit.login,
        key: (req) => `login:${req.ip}`,
        what: "sign-in attempts",
        refuse: refuseRest,
      }),
    );
  }

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", service: "gateway" });
  });
  app.get("/readyz", async (_req, res) => {
    const checks = await Promise.all(
      Object.entries(urls).map(async ([name, url]) => {
        try {
          const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) });
          const body = (await r.json()) as { checks?: unknown };
          return { name, ok: r.ok, checks: body.checks };
        } catch (err) {
          return { name, ok: false, error: (err as Error).message };
        }
      }),
    );
    const ready = checks.every((c) => c.ok) && !!apiSchema;
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? "ready" : "unavailable", service: "gateway", subgraphs: checks });
  });

  const sso = oidcSettings(config);
  if (sso) {
    app.use(
      "/auth/oidc",
      oidcRoutes({ settings: sso, auth, internalSecret: config.ODS_INTERNAL_SECRET, secureCookies, logger }),
    );
  }
  app.use("/auth", sessionRoutes({ auth, secureCookies }));
  // MODEL_API keys reach this route only; READ-only keys may not spend model tokens.
  app.use("/v1", openAiRoutes({ modelUrl: urls.model!, tokens: internalTokens, auth: auth.forModelApi(), logger }));
  // REST routes of the dataset subgraph (streamed rows); `/api/` keeps them clear of the web app's own pages.
  app.use(
    "/api/datasets",
    passThrough({
      target: urls.dataset!,
      tokens: internalTokens,
      auth,
      logger,
      refuse: (res, status, message) =>
        res
          .status(status)
          .json({ error: { code: status === 401 ? "UNAUTHENTICATED" : "UPSTREAM_UNAVAILABLE", message } }),
    }),
  );
  // The identity subgraph's audit log export (`GET /api/audit/events.csv`, admins only: identity checks the role).
  app.use(
    "/api/audit",
    passThrough({
      target: urls.identity!,
      tokens: internalTokens,
      auth,
      logger,
      refuse: (res, status, message) =>
        res
          .status(status)
          .json({ error: { code: status === 401 ? "UNAUTHENTICATED" : "UPSTREAM_UNAVAILABLE", message } }),
    }),
  );
  app.use(
    "/objects",
    uploadRoutes({
      store: createObjectStore(config),
      internalSecret: config.ODS_INTERNAL_SECRET,
      logger,
    }),
  );

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: security.introspection,
    // "Did you mean …?" spells out the schema to someone guessing at it.
    hideSchemaDetailsFromClientErrors: !security.suggestions,
    allowBatchedHttpRequests: security.batching.enabled,
    // No automatic persisted queries: a hash-only request would skip the guard's checks (its cost depends on the
    // variables of each call). Trusted-documents mode resolves hashes itself, before the guard.
    persistedQueries: false,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // Our own handlers stop the server, subscriptions and database in order (closeOnSignals).
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ footer: false }),
      loginCookiePlugin(secureCookies),
      apiKeyScopePlugin(auth),
    ],
    formatError: (formatted, original) =>
      DEFENCE_CODES.has(formatted.extensions?.code as string)
        ? formatted
        : maskError(formatted, original, requestScope.getStore()?.requestId, (err) =>
            (requestScope.getStore()?.logger ?? logger).error({ err }, "unexpected error"),
          ),
  });
  await apollo.start();

  app.use(
    "/graphql",
    useJsonOnly(refuse),
    express.json({ limit: security.bodyLimit }),
    useGraphqlGuard({ settings: security, schema: () => apiSchema, trusted, refuse }),
    ...(security.rateLimit.enabled
      ? [
          useMutationRateLimits({
            buckets,
            login: security.rateLimit.login,
            sensitive: security.rateLimit.sensitive,
            callerKey,
            refuse,
          }),
        ]
      : []),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const scope = requestScope.getStore()!;
        let caller: Caller;
        try {
          caller = await auth.authenticate(auth.credential(req.headers));
        } catch (err) {
          // Bad credentials end the request here, with 401 and UNAUTHENTICATED, before any subgraph is asked.
          const error = err as AppError;
          throw new AppError(error.code, error.message, { http: { status: 401 } });
        }
        return {
          requestId: scope.requestId,
          caller,
          internalToken: await internalTokens.for(caller),
          client: { ip: req.ip, userAgent: req.get("user-agent")?.slice(0, 300) },
        };
      },
    }),
  );
  app.use(webRoutes(config.ODS_WEB_DIR));
  // Last: whatever went wrong in a route (a body too large, malformed JSON, a bug) is answered without internals.
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number }).status;
    const requestId = requestScope.getStore()?.requestId;
    if (status && status >= 400 && status < 500) {
      const message = status === 413 ? `The request body is larger than ${security.bodyLimit}` : "Malformed request";
      res.status(status).json({ errors: [{ message, extensions: { code: "BAD_REQUEST", requestId } }] });
      return;
    }
    (requestScope.getStore()?.logger ?? logger).error({ err }, "unexpected error");
    res.status(500).json({
      errors: [
        {
          message: `Internal server error (request ${requestId ?? "unknown"})`,
          extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId },
        },
      ],
    });
  });

  // 1 MiB is far more than any subscription document needs, and far less than the library's 100 MiB default.
  const wss = new WebSocketServer({ server: httpServer, path: "/graphql", maxPayload: 1024 * 1024 });
  const deps = {
    schema: () => apiSchema!,
    index: () => index,
    urls,
    internalSecret: config.ODS_INTERNAL_SECRET,
    logger,
  };
  const allowedOrigins = new Set(config.ODS_CORS_ORIGINS);
  const documents = createDocumentCache();
  const wsServer = useServer<Record<string, unknown>, { upstreams?: ConnectionUpstreams; credential?: string }>(
    {
      schema: () => apiSchema!,
      ...wsLimits({ settings: security, schema: () => apiSchema, trusted, documents }),
      // Each document is parsed (within the limits, above) and validated once while it stays cached.
      parse: (source) => documents.parse(source),
      validate: (schema, document) => documents.validate(schema, document),
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        const request = ctx.extra.request;
        const headers = typeof authorization === "string" ? { authorization } : { cookie: request.headers.cookie };
        // A cookie travels with any page's WebSocket, even another site's: only our own origin (or an allowed
        // one) may use it. Programs send the credential in connectionParams and need no Origin.
        if (!("authorization" in headers) && headers.cookie) {
          const origin = request.headers.origin;
          const scheme = request.headers["x-forwarded-proto"] === "https" ? "https" : "http";
          if (origin && origin !== `${scheme}://${request.headers.host}` && !allowedOrigins.has(origin)) return false;
        }
        try {
          const credential = auth.credential(headers);
          const caller = await auth.authenticate(credential);
          ctx.extra.credential = credential;
          ctx.extra.upstreams = new ConnectionUpstreams(deps, caller, requestIdFrom(undefined));
          return true;
        } catch {
          return false;
        }
      },
      onClose: async (ctx) => {
        await ctx.extra.upstreams?.dispose();
      },
      context: (ctx) => ({ upstreams: ctx.extra.upstreams, credential: ctx.extra.credential }),
      subscribe: (args) => {
        traceMark("gateway.subscription");
        const context = args.contextValue as { upstreams: ConnectionUpstreams; credential?: string };
        return (async function* () {
          // The credential is checked again for every subscription, not only at connect: an expired session or a
          // revoked key stops working on a socket that stays open (both checks are cached, so this is cheap).
          try {
            const caller = await auth.authenticate(context.credential);
            checkSubscriptionScope(auth, caller, args.document, args.operationName);
          } catch (err) {
            yield { errors: [err as AppError] };
            return;
          }
          yield* forwardSubscription(
            deps,
            context.upstreams,
            args.document,
            args.variableValues as Record<string, unknown> | undefined,
            args.operationName,
          );
        })();
      },
      execute: () => ({
        errors: [new AppError(ErrorCode.BAD_USER_INPUT, "Send queries and mutations over HTTP POST /graphql")],
      }),
    },
    wss,
  );

  await new Promise<void>((resolve) =>
    httpServer.listen(
      { port: config.ODS_GATEWAY_PORT, host: config.ODS_GATEWAY_HOST, backlog: LISTEN_BACKLOG },
      resolve,
    ),
  );
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${config.ODS_GATEWAY_HOST === "0.0.0.0" ? "localhost" : config.ODS_GATEWAY_HOST}:${port}`;
  logger.info({ url }, "gateway ready");
  return {
    url,
    port,
    server: httpServer,
    async close() {
      await wsServer.dispose();
      wss.close();
      await apollo.stop();
      await buckets.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
