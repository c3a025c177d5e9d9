import "reflect-metadata";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import { buildSubgraphSchema, printSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/resolverMap.js";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import type { EntityManager, MikroORM } from "@mikro-orm/core";
import express, { type Express } from "express";
import { parse, type GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { buildSchema, createResolversMap, type AuthChecker, type NonEmptyArray } from "type-graphql";
import { WebSocketServer } from "ws";
import { INTERNAL_TOKEN_HEADER, REQUEST_ID_HEADER, verifyInternalToken, type Caller, type Role } from "./auth.js";
import { createDocumentCache } from "./document-cache.js";
import { forbidden, maskError, unauthenticated } from "./errors.js";
import { SERVER_KEEP_ALIVE_MS } from "./keep-alive.js";
import type { Logger } from "./logger.js";
import { clientFrom, requestIdFrom, requestScope, type ClientInfo } from "./request-context.js";
import { createSubscriber, type PassThroughSubscriptions } from "./subscription-events.js";

// Apollo's packages report telemetry unless told not to (STACK.md, pitfall 5); we phone home nowhere.
process.env.APOLLO_TELEMETRY_DISABLED ??= "true";

/** What every resolver receives. `services` is the subgraph's own service layer. */
export interface SubgraphContext<S = unknown> {
  requestId: string;
  caller: Caller;
  /** The client's address and user agent as the gateway forwarded them (empty on graphql-ws). */
  client: ClientInfo;
  em: EntityManager;
  logger: Logger;
  services: S;
}

/**
 * How many connections may wait to be accepted (Node's default is 511; Linux caps it at `net.core.somaxconn`,
 * 4096 by default). A thousand replies starting together each open a connection to the model API, and the gateway
 * one to a subgraph per client connection: over the queue, the kernel drops the SYN and the client tries again a
 * second later (1,814 such drops in one 1,000-stream benchmark run with the default).
 */
export const LISTEN_BACKLOG = 4096;

/** Resolves a federation reference (`{ __typename, id }`) to the entity this subgraph owns. */
export type ReferenceResolver<S = unknown> = (reference: { id: string }, context: SubgraphContext<S>) => unknown;

export interface SchemaOptions<S = unknown> {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own signature.
  resolvers: NonEmptyArray<Function>;
  /** Types to include although no root field reaches them (federation stubs such as `User { id }`). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own signature.
  orphanedTypes?: Function[];
  /** `__resolveReference` per entity type name. */
  references?: Record<string, ReferenceResolver<S>>;
}

/**
 * `@Authorized()` means "signed in"; `@Authorized("admin")` also needs the role (admins pass every check).
 * Throws instead of returning false so the client sees UNAUTHENTICATED or FORBIDDEN, not a generic denial.
 */
const authChecker: AuthChecker<SubgraphContext> = ({ context }, roles) => {
  if (!context.caller.userId) throw unauthenticated();
  if (roles.length === 0 || context.caller.roles.includes("admin")) return true;
  if (roles.some((r) => context.caller.roles.includes(r as Role))) return true;
  throw forbidden(`This needs the role ${roles.join(" or ")}`);
};

const refuseTopics = () => {
  throw new Error("Topic-based subscriptions are not used here: give @Subscription a `subscribe` function");
};
/**
 * type-graphql refuses to build any `@Subscription` without a pub/sub, even when each one brings its own
 * `subscribe` function, as all of ours do (their events come from kit's replayable logs). This one fails loudly
 * if a topic-based subscription ever slips in.
 */
const noTopicPubSub = { publish: refuseTopics, subscribe: refuseTopics };

/**
 * Builds the federated schema from type-graphql resolvers: type-graphql → SDL with directives →
 * `@apollo/subgraph`, keeping type-graphql's resolvers (subscriptions included).
 */
export async function buildFederatedSchema<S>(options: SchemaOptions<S>): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: options.resolvers,
    orphanedTypes: options.orphanedTypes,
    authChecker,
    pubSub: noTopicPubSub,
    validate: false,
    skipCheck: true,
  });
  const typeDefs = parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
      import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible"])
    ${printSchemaWithDirectives(schema)}`);
  const resolvers = createResolversMap(schema) as GraphQLResolverMap<unknown>;
  for (const [typeName, resolve] of Object.entries(options.references ?? {})) {
    resolvers[typeName] = {
      ...(resolvers[typeName] as object),
      __resolveReference: (reference: { id: string }, context: unknown) =>
        resolve(reference, context as SubgraphContext<S>),
    } as GraphQLResolverMap<unknown>[string];
  }
  return buildSubgraphSchema({ typeDefs, resolvers });
}

/** The subgraph's SDL as the composer reads it (what `npm run compose` writes to `schema/<name>.graphql`). */
export function printFederatedSchema(schema: GraphQLSchema): string {
  return printSubgraphSchema(schema);
}

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface SubgraphOptions<S> extends SchemaOptions<S> {
  name: string;
  port: number;
  host?: string;
  internalSecret: string;
  orm: MikroORM;
  logger: Logger;
  services: S;
  /** Dependencies `/readyz` checks besides the database. */
  readiness?: ReadinessCheck[];
  /** Extra HTTP routes (mounted before `/graphql`), e.g. the model subgraph's `/v1`. */
  routes?: (app: Express) => void;
  /** Called on shutdown, before the database closes. */
  onClose?: () => Promise<void>;
  /**
   * Subscription root fields whose resolver returns its event unchanged, their checks and work done in their
   * `subscribe`: each of their events is executed by a compiled function, without calling the resolver again or
   * coercing the variables again ({@link createSubscriber}).
   */
  passThroughSubscriptions?: PassThroughSubscriptions;
}

export interface RunningSubgraph {
  url: string;
  port: number;
  server: Server;
  schema: GraphQLSchema;
  close(): Promise<void>;
}

/**
 * Starts a subgraph: GraphQL over HTTP and graphql-ws on `/graphql`, `/healthz`, `/readyz`, all on one port.
 *
 * @remarks Every GraphQL call must carry the gateway's internal token; one without it is refused with 401
 * before any resolver runs. Each request gets its own MikroORM unit of work (`em.fork()`).
 */
export async function startSubgraph<S>(options: SubgraphOptions<S>): Promise<RunningSubgraph> {
  const { logger, orm } = options;
  const schema = await buildFederatedSchema(options);
  const app = express();
  app.disable("x-powered-by");
  const httpServer = createServer(app);
  httpServer.keepAliveTimeout = SERVER_KEEP_ALIVE_MS;
  // Node wants the headers deadline past the keep-alive timeout.
  httpServer.headersTimeout = SERVER_KEEP_ALIVE_MS + 1_000;

  // Request id and scoped logger for everything below.
  app.use((req, res, next) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    requestScope.run({ requestId, logger: logger.child({ requestId }) }, next);
  });

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", service: options.name });
  });
  const checks: ReadinessCheck[] = [
    { name: "database", check: async () => void (await orm.em.getConnection().execute("select 1")) },
    ...(options.readiness ?? []),
  ];
  app.get("/readyz", async (_req, res) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withDeadline(check(), 3_000, `${name} did not answer within 3 s`);
          return { name, ok: true };
        } catch (err) {
          return { name, ok: false, error: (err as Error).message };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? "ready" : "unavailable", service: options.name, checks: results });
  });

  options.routes?.(app);

  const apollo = new ApolloServer<SubgraphContext<S>>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // Our own handlers stop the server, subscriptions and database in order (closeOnSignals).
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
    formatError: (formatted, original) =>
      maskError(formatted, original, requestScope.getStore()?.requestId, (err) =>
        (requestScope.getStore()?.logger ?? logger).error({ err }, "unexpected error in resolver"),
      ),
  });
  await apollo.start();

  app.use(
    "/graphql",
    async (req, res, next) => {
      try {
        res.locals.caller = await verifyInternalToken(
          options.internalSecret,
          headerValue(req.headers[INTERNAL_TOKEN_HEADER]),
        );
        const scope = requestScope.getStore();
        if (scope) scope.client = clientFrom(req.headers);
        next();
      } catch (err) {
        res
          .status(401)
          .json({ errors: [{ message: (err as Error).message, extensions: { code: "UNAUTHENTICATED" } }] });
      }
    },
    express.json({ limit: "2mb" }),
    expressMiddleware(apollo, {
      context: async ({ res }) => {
        const scope = requestScope.getStore()!;
        return {
          requestId: scope.requestId,
          logger: scope.logger,
          caller: res.locals.caller as Caller,
          client: scope.client ?? {},
          em: orm.em.fork(),
          services: options.services,
        };
      },
    }),
  );

  const wss = new WebSocketServer({ server: httpServer, path: "/graphql" });
  const documents = createDocumentCache();
  const wsCleanup = useServer<Record<string, unknown>, { caller?: Caller; requestId?: string }>(
    {
      schema,
      onConnect: async (ctx) => {
        try {
          ctx.extra.caller = await verifyInternalToken(
            options.internalSecret,
            ctx.connectionParams?.[INTERNAL_TOKEN_HEADER] as string,
          );
          ctx.extra.requestId = requestIdFrom(ctx.connectionParams?.[REQUEST_ID_HEADER] as string | undefined);
          return true;
        } catch {
          return false;
        }
      },
      // The same documents come again and again (every chat reply subscribes): parse and validate each once.
      parse: (source) => documents.parse(source),
      validate: (schema, document) => documents.validate(schema, document),
      subscribe: createSubscriber(options.passThroughSubscriptions ?? { fields: [] }),
      context: (ctx): SubgraphContext<S> => ({
        requestId: ctx.extra.requestId!,
        logger: logger.child({ requestId: ctx.extra.requestId }),
        caller: ctx.extra.caller!,
        client: {},
        em: orm.em.fork(),
        services: options.services,
      }),
    },
    wss,
  );

  await new Promise<void>((resolve) =>
    httpServer.listen({ port: options.port, host: options.host ?? "127.0.0.1", backlog: LISTEN_BACKLOG }, resolve),
  );
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}/graphql`;
  logger.info({ url }, `${options.name} subgraph ready`);
  announceListening(port);

  return {
    url,
    port,
    server: httpServer,
    schema,
    async close() {
      await wsCleanup.dispose();
      wss.close();
      await apollo.stop();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await options.onClose?.();
      await orm.close();
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Rejects with `message` when `promise` has not settled within `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

/**
 * Tells a launching parent (scripts/platform.mjs, over the IPC channel when there is one) which port this process
 * got. The launcher starts processes on port 0 in tests, so no port is ever picked by one process and bound by another.
 */
export function announceListening(port: number): void {
  process.send?.({ type: "ods:listening", port });
}

/** Stops `close` on SIGINT/SIGTERM, once, and exits. */
export function closeOnSignals(close: () => Promise<void>, logger: Logger): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down");
    close()
      .catch((err: unknown) => logger.error({ err }, "error while shutting down"))
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
