import type { GatewayConfig } from "../config.js";

/** The limits one GraphQL operation must stay within (checked before planning or execution). */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
  maxQueryLength: number;
  defaultListSize: number;
  /** `Type.field` → cost, replacing the default of the field. */
  fieldCosts: Record<string, number>;
}

/** A token bucket's size: `limit` requests, refilled evenly over `windowSeconds`. */
export interface BucketPolicy {
  limit: number;
  windowSeconds: number;
}

/** Every defence of the gateway, resolved from the configuration. */
export interface SecuritySettings {
  production: boolean;
  limits: OperationLimits;
  batching: { enabled: boolean; max: number };
  introspection: boolean;
  suggestions: boolean;
  trustedDocuments: { enabled: boolean; paths?: string[] };
  bodyLimit: string;
  timeouts: { requestMs: number; headersMs: number };
  ws: { initTimeoutMs: number; maxSubscriptions: number };
  rateLimit: {
    enabled: boolean;
    redisUrl?: string;
    requests: BucketPolicy;
    login: BucketPolicy;
    sensitive: BucketPolicy;
  };
  csp?: string;
}

/** Parses `Type.field=cost,…` (the config schema has already checked the shape). */
export function parseFieldCosts(value: string): Record<string, number> {
  const costs: Record<string, number> = {};
  for (const pair of value.split(",")) {
    const [coordinate, cost] = pair.split("=").map((s) => s.trim());
    if (coordinate && cost) costs[coordinate] = Number(cost);
  }
  return costs;
}

/**
 * Works out every defence from the configuration in one place, so the secure choice is the default and a reader
 * sees at a glance what production changes.
 *
 * @remarks Production (`NODE_ENV=production`) hides the schema (no introspection, no "Did you mean") and uses the
 * tight rate limits; development and test keep the schema visible and allow ten times as many requests, so a
 * developer's hot reloads and the end-to-end suites do not trip them. Every value can be set explicitly.
 */
export function securitySettings(config: GatewayConfig): SecuritySettings {
  const production = config.NODE_ENV === "production";
  const scale = production ? 1 : 10;
  const window = config.ODS_RATE_LIMIT_WINDOW_S;
  return {
    production,
    limits: {
      maxDepth: config.ODS_GRAPHQL_MAX_DEPTH,
      maxAliases: config.ODS_GRAPHQL_MAX_ALIASES,
      maxTokens: config.ODS_GRAPHQL_MAX_TOKENS,
      maxDirectives: config.ODS_GRAPHQL_MAX_DIRECTIVES,
      maxCost: config.ODS_GRAPHQL_MAX_COST,
      maxQueryLength: config.ODS_GRAPHQL_MAX_QUERY_LENGTH,
      defaultListSize: config.ODS_GRAPHQL_DEFAULT_LIST_SIZE,
      fieldCosts: parseFieldCosts(config.ODS_GRAPHQL_FIELD_COSTS),
    },
    batching: { enabled: config.ODS_GRAPHQL_BATCHING, max: config.ODS_GRAPHQL_MAX_BATCH },
    introspection: config.ODS_GRAPHQL_INTROSPECTION ?? !production,
    suggestions: config.ODS_GRAPHQL_SUGGESTIONS ?? !production,
    trustedDocuments: {
      enabled: config.ODS_TRUSTED_DOCUMENTS,
      paths: config.ODS_TRUSTED_DOCUMENTS_PATH?.split(",")
        .map((p) => p.trim())
        .filter(Boolean),
    },
    bodyLimit: config.ODS_BODY_LIMIT,
    timeouts: { requestMs: config.ODS_REQUEST_TIMEOUT_MS, headersMs: config.ODS_HEADERS_TIMEOUT_MS },
    ws: { initTimeoutMs: config.ODS_WS_INIT_TIMEOUT_MS, maxSubscriptions: config.ODS_WS_MAX_SUBSCRIPTIONS },
    rateLimit: {
      enabled: config.ODS_RATE_LIMIT,
      redisUrl: config.ODS_REDIS_URL,
      requests: { limit: config.ODS_RATE_LIMIT_REQUESTS ?? 600 * scale, windowSeconds: window },
      login: { limit: config.ODS_RATE_LIMIT_LOGIN ?? 20 * scale, windowSeconds: window },
      sensitive: { limit: config.ODS_RATE_LIMIT_SENSITIVE ?? 60 * scale, windowSeconds: window },
    },
    csp: config.ODS_CSP,
  };
}
