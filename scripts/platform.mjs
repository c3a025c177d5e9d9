// Starts the whole platform as separate processes (five subgraphs, then the gateway) and stops it cleanly.
// Used by `npm start` and by the end-to-end tests, which boot it on free ports in a temporary data folder.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dirname, "..");
export const SUBGRAPHS = ["identity", "dataset", "model", "conversation", "workflow"];
const DEFAULT_PORTS = { gateway: 4000, identity: 4001, dataset: 4002, model: 4003, conversation: 4004, workflow: 4005 };

/** A port the OS says is free right now. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * The shared secret that signs internal tokens: from the environment, else generated once and kept in the data
 * folder, so restarts keep sessions and upload URLs valid.
 */
function internalSecret(env, dataDir) {
  if (env.ODS_INTERNAL_SECRET) return env.ODS_INTERNAL_SECRET;
  const file = join(dataDir, "internal-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

async function waitReady(url, child, name, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} during start-up`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${name} was not ready at ${url} after ${timeoutMs / 1000} s`);
}

/**
 * @param {object} options
 * @param {Record<string,string|undefined>} [options.env] - environment for every process (ODS_* settings)
 * @param {boolean} [options.randomPorts] - pick free ports instead of 4000–4005 (tests)
 * @param {(name: string, line: string) => void} [options.onLog] - each line a process prints
 */
export async function startPlatform(options = {}) {
  const env = { ...process.env, ...options.env };
  const dataDir = resolve(env.ODS_DATA_DIR ?? join(root, ".data"));
  mkdirSync(dataDir, { recursive: true });
  const ports = {};
  for (const name of ["gateway", ...SUBGRAPHS]) {
    const key = `ODS_${name.toUpperCase()}_PORT`;
    ports[name] = options.randomPorts ? await freePort() : Number(env[key] ?? DEFAULT_PORTS[name]);
  }
  const shared = {
    ...env,
    ODS_DATA_DIR: dataDir,
    ODS_INTERNAL_SECRET: internalSecret(env, dataDir),
    ODS_PUBLIC_URL: env.ODS_PUBLIC_URL || `http://localhost:${ports.gateway}`,
    APOLLO_TELEMETRY_DISABLED: "true",
  };
  for (const name of ["gateway", ...SUBGRAPHS]) {
    shared[`ODS_${name.toUpperCase()}_PORT`] = String(ports[name]);
    if (name !== "gateway") shared[`ODS_${name.toUpperCase()}_URL`] = `http://127.0.0.1:${ports[name]}`;
  }
  const children = [];
  const spawnProcess = (name, script) => {
    const child = spawn(process.execPath, ["--enable-source-maps", script], {
      env: shared,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const forward = (stream) => {
      let buffer = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        buffer += chunk;
        let newline;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          options.onLog?.(name, buffer.slice(0, newline));
          buffer = buffer.slice(newline + 1);
        }
      });
    };
    forward(child.stdout);
    forward(child.stderr);
    children.push({ name, child });
    return child;
  };
  const stop = async () => {
    await Promise.all(
      children.map(
        ({ child }) =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
            child.once("exit", () => {
              clearTimeout(kill);
              done();
            });
            child.kill("SIGTERM");
          }),
      ),
    );
  };
  try {
    await Promise.all(
      SUBGRAPHS.map((name) => {
        const child = spawnProcess(name, join(root, "subgraphs", name, "dist/main.js"));
        return waitReady(`http://127.0.0.1:${ports[name]}/readyz`, child, name, 60_000);
      }),
    );
    const gateway = spawnProcess("gateway", join(root, "gateway/dist/main.js"));
    await waitReady(`http://127.0.0.1:${ports.gateway}/readyz`, gateway, "gateway", 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${ports.gateway}`,
    publicUrl: shared.ODS_PUBLIC_URL,
    ports,
    dataDir,
    internalSecret: shared.ODS_INTERNAL_SECRET,
    children,
    stop,
  };
}
