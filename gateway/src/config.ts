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
