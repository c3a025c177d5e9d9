// What every benchmark starts with: the whole platform on free ports in a temporary data folder (or one the
// benchmark prepared), an admin signed in, and a GraphQL helper; `stop()` ends the processes and removes the folder.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPlatform } from "../scripts/platform.mjs";

const admin = { email: "bench@example.com", password: "bench-password" };

/**
 * @param {object} [options]
 * @param {string} [options.dataDir] - a data folder the benchmark prepared (removed by `stop()` all the same)
 * @param {Record<string, string>} [options.env] - extra settings for every process
 * @param {(name: string, line: string) => void} [options.onLog] - each line a process prints
 */
export async function bootBench(options = {}) {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "ods-bench-")));
  const platform = await startPlatform({
    randomPorts: true,
    onLog: options.onLog,
    env: {
      ODS_DATA_DIR: dataDir,
      ODS_ADMIN_EMAIL: admin.email,
      ODS_ADMIN_PASSWORD: admin.password,
      ODS_LOG_LEVEL: "warn",
      ODS_INTERNAL_SECRET: "",
      ODS_REDIS_URL: "",
      ODS_DATABASE_URL: "",
      ...options.env,
    },
  });
  const gql = async (query, variables = {}, token) => {
    const res = await fetch(`${platform.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  try {
    const { login } = await gql(
      "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { id email roles } } }",
      {
        e: admin.email,
        p: admin.password,
      },
    );
    return {
      platform,
      token: login.accessToken,
      user: login.user,
      /** GraphQL through the gateway as the signed-in admin; throws on any error. */
      gql: (query, variables) => gql(query, variables, login.accessToken),
      async stop() {
        await platform.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await platform.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
