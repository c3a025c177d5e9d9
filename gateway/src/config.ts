import { loadConfig, port } from "@ods/kit";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const url = (fallback: string) => z.url().default(fallback);

export const gatewayEnv = {
  ODS_GATEWAY_PORT: port(4000),
  /** The address to listen on; `0.0.0.0` to serve other machines. */
  ODS_GATEWAY_HOST: z.string().default("127.0.0.1"),
  ODS_IDENTITY_URL: url("http://127.0.0.1:4001"),
  ODS_DATASET_URL: url("http://127.0.0.1:4002"),
  ODS_MODEL_URL: url("http://127.0.0.1:4003"),
  ODS_CONVERSATION_URL: url("http://127.0.0.1:4004"),
  ODS_WORKFLOW_URL: url("http://127.0.0.1:4005"),
  ODS_SUPERGRAPH_PATH: z.string().default(repo("schema/supergraph.graphql")),
  /** The built web app (`npm run build -w web`); served at `/` when present. */
  ODS_WEB_DIR: z.string().default(repo("web/build")),
  /** Mark session cookies `Secure` (defaults to on in production, where the gateway sits behind HTTPS). */
  ODS_COOKIE_SECURE: z.stringbool().optional(),
  /** Origins allowed to call the API from a browser on another origin, comma-separated. */
  ODS_CORS_ORIGINS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),

  // ── Request limits and defences (gateway/src/security; defaults are computed in security/settings.ts). ──
  /** Deepest selection nesting an operation may have, fragments inlined. @defaultValue `15` */
  ODS_GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).default(15),
  /** Most aliased fields in one operation (alias overloading). @defaultValue `30` */
  ODS_GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).default(30),
  /** Most lexical tokens in one document, enforced by the parser itself (`parse(…, { maxTokens })`). @defaultValue `2000` */
  ODS_GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(10).default(2_000),
  /** Most directives in one document; a directive repeated on one field is refused whatever the count. @defaultValue `10` */
  ODS_GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(10),
  /** Highest estimated cost of one operation (see ODS_GRAPHQL_FIELD_COSTS and the guide). @defaultValue `10000` */
  ODS_GRAPHQL_MAX_COST: z.coerce.number().int().min(1).default(10_000),
  /** Items a list field is assumed to return when it has no `first`/`last`/`limit` argument. @defaultValue `20` */
  ODS_GRAPHQL_DEFAULT_LIST_SIZE: z.coerce.number().int().min(1).default(20),
  /** Cost overrides, `Type.field=cost` comma-separated (e.g. `Query.runSql=50`). @defaultValue empty */
  ODS_GRAPHQL_FIELD_COSTS: z
    .string()
    .default("")
    .refine((v) => v === "" || /^\s*\w+\.\w+\s*=\s*\d+\s*(,\s*\w+\.\w+\s*=\s*\d+\s*)*$/.test(v), {
      message: "must be Type.field=cost pairs, comma-separated",
    }),
  /** Longest query string accepted, in characters (character overload). @defaultValue `30000` */
  ODS_GRAPHQL_MAX_QUERY_LENGTH: z.coerce.number().int().min(100).default(30_000),
  /** Accept JSON arrays of operations in one POST (batching). @defaultValue `false` */
  ODS_GRAPHQL_BATCHING: z.stringbool().default(false),
  /** Most operations in one batch when batching is on. @defaultValue `10` */
  ODS_GRAPHQL_MAX_BATCH: z.coerce.number().int().min(1).default(10),
  /** Answer introspection queries. @defaultValue off in production, on otherwise */
  ODS_GRAPHQL_INTROSPECTION: z.stringbool().optional(),
  /** Say "Did you mean …?" in validation errors (reveals the schema). @defaultValue off in production, on otherwise */
  ODS_GRAPHQL_SUGGESTIONS: z.stringbool().optional(),
  /** Run only operations listed in the trusted-documents manifest(s). @defaultValue `false` */
  ODS_TRUSTED_DOCUMENTS: z.stringbool().default(false),
  /**
   * Manifest files (JSON `{ "<sha256>": "<query>" }`, as the codegen client preset's `persisted-documents.json`),
   * comma-separated. @defaultValue unset: built from the generated operations of web/ and packages/sdk/
   */
  ODS_TRUSTED_DOCUMENTS_PATH: z.string().optional(),
  /** Largest JSON body of a GraphQL or REST request (`express.json` limit; uploads bypass it). @defaultValue `1mb` */
  ODS_BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, "must look like 100kb or 1mb")
    .default("1mb"),
  /** Longest time a client may take to send a whole request, in ms (`server.requestTimeout`). @defaultValue `300_000` — 5 min */
  ODS_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(300_000),
  /** Longest time a client may take to send the request headers, in ms (slowloris). @defaultValue `20_000` — 20 s */
  ODS_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(20_000),
  /** A graphql-ws client must send `connection_init` within this many ms. @defaultValue `10_000` — 10 s */
  ODS_WS_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Most subscriptions open at once on one graphql-ws connection. @defaultValue `50` */
  ODS_WS_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).default(50),
  /** Turn the rate limits on. @defaultValue `true` */
  ODS_RATE_LIMIT: z.stringbool().default(true),
  /** Requests per window for one user, API key or (anonymous) IP. @defaultValue `600` in production, `6000` otherwise */
  ODS_RATE_LIMIT_REQUESTS: z.coerce.number().int().min(1).optional(),
  /** Sign-in attempts per window from one IP (`/auth/login` and the `login` mutation). @defaultValue `20` in production, `200` otherwise */
  ODS_RATE_LIMIT_LOGIN: z.coerce.number().int().min(1).optional(),
  /** Sensitive mutations (keys, users, roles, secrets) per window for one caller. @defaultValue `60` in production, `600` otherwise */
  ODS_RATE_LIMIT_SENSITIVE: z.coerce.number().int().min(1).optional(),
  /** The rate-limit window in seconds: each bucket refills completely over this time. @defaultValue `60` */
  ODS_RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).default(60),
  /** Content-Security-Policy for every response; unset means the built-in policy for the web app. */
  ODS_CSP: z.string().optional(),

  // ── Single sign-on with OpenID Connect (gateway/src/routes/oidc.ts; docs/sso-guide.md). Off when the issuer is unset. ──
  /** The provider's issuer URL, e.g. `https://keycloak.example.com/realms/ods`. @defaultValue unset: SSO off */
  ODS_OIDC_ISSUER: z.url().optional(),
  /** The client id registered at the provider. */
  ODS_OIDC_CLIENT_ID: z.string().min(1).optional(),
  /** The client secret (confidential client, sent as HTTP Basic); unset: a public client, PKCE only. */
  ODS_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** Scopes asked for, space-separated. @defaultValue `openid email profile` */
  ODS_OIDC_SCOPES: z.string().default("openid email profile"),
  /** The claim (ID token, else userinfo) that holds the user's groups or roles; dots reach into objects (`realm_access.roles`). @defaultValue `groups` */
  ODS_OIDC_ROLE_CLAIM: z.string().min(1).default("groups"),
  /** Claim value → platform role, comma-separated `value:role` pairs, e.g. `ods-admins:admin,ods-editors:editor`. @defaultValue empty */
  ODS_OIDC_ROLE_MAP: z
    .string()
    .default("")
    .refine((v) => v.trim() === "" || v.split(",").every((p) => /^.+:(admin|editor|viewer)$/.test(p.trim())), {
      message: "must be value:role pairs (role admin, editor or viewer), comma-separated",
    }),
  /** The role of a user none of whose claim values is mapped; `none` refuses them. @defaultValue `viewer` */
  ODS_OIDC_DEFAULT_ROLE: z.enum(["admin", "editor", "viewer", "none"]).default("viewer"),
  /** The redirect URI registered at the provider. @defaultValue `<ODS_PUBLIC_URL>/auth/oidc/callback` */
  ODS_OIDC_REDIRECT_URI: z.url().optional(),
  /** Allow an `http://` issuer that is not on loopback (development only). @defaultValue `false` */
  ODS_OIDC_ALLOW_HTTP: z.stringbool().default(false),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
export const loadGatewayConfig = (env?: Record<string, string | undefined>) => loadConfig(gatewayEnv, env);

/** Subgraph name (as in the supergraph) → base URL from the configuration. */
export function subgraphUrls(config: GatewayConfig): Record<string, string> {
  return {
    identity: config.ODS_IDENTITY_URL,
    dataset: config.ODS_DATASET_URL,
    model: config.ODS_MODEL_URL,
    conversation: config.ODS_CONVERSATION_URL,
    workflow: config.ODS_WORKFLOW_URL,
  };
}
