// Starts the whole platform as separate processes (five subgraphs, then the gateway) and stops it cleanly.
// Used by `npm start` and by the end-to-end tests, which boot it on free ports in a temporary data folder.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dirname, "..");
export const SUBGRAPHS = ["identity", "dataset", "model", "conversation", "workflow"];
const DEFAULT_PORTS = { gateway: 4000, identity: 4001, dataset: 4002, model: 4003, conversation: 4004, workflow: 4005 };

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
 * @param {boolean} [options.randomPorts] - let each process take a free port (tests) instead of 4000–4005
 * @param {(name: string, line: string) => void} [options.onLog] - each line a process prints
 */
export async function startPlatform(options = {}) {
  const env = { ...process.env, ...options.env };
  const dataDir = resolve(env.ODS_DATA_DIR || join(root, ".data"));
  mkdirSync(dataDir, { recursive: true });
  const shared = {
    ...env,
    ODS_DATA_DIR: dataDir,
    ODS_INTERNAL_SECRET: internalSecret(env, dataDir),
    APOLLO_TELEMETRY_DISABLED: "true",
  };
  const ports = {};
  for (const name of ["gateway", ...SUBGRAPHS]) {
    const key = `ODS_${name.toUpperCase()}_PORT`;
    // Port 0: the process binds a free port itself and reports it over IPC, so no other process can take it
    // between our choosing it and the child binding it.
    shared[key] = options.randomPorts ? "0" : String(env[key] || DEFAULT_PORTS[name]);
  }
  const children = [];
  const spawnProcess = (name, script) => {
    // ODS_PROFILE=conversation,gateway writes a V8 CPU profile of those processes into ODS_PROFILE_DIR on exit.
    const profile = (process.env.ODS_PROFILE ?? "").split(",").includes(name)
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.ODS_PROFILE_DIR || "profiles"}`]
      : [];
    const child = spawn(process.execPath, [...profile, "--enable-source-maps", script], {
      env: { ...shared },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
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
  /** Starts one process and resolves with its port once its /readyz answers. */
  const launch = async (name, script) => {
    const child = spawnProcess(name, script);
    const port = await new Promise((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start listening within 60 s`)), 60_000);
      child.on("message", (message) => {
        if (message?.type !== "ods:listening") return;
        clearTimeout(timer);
        resolvePort(message.port);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with code ${code} during start-up`));
      });
    });
    ports[name] = port;
    await waitReady(`http://127.0.0.1:${port}/readyz`, child, name, 60_000);
    return port;
  };
  const setUrl = (name) => {
    shared[`ODS_${name.toUpperCase()}_URL`] = `http://127.0.0.1:${ports[name]}`;
    shared[`ODS_${name.toUpperCase()}_PORT`] = String(ports[name]);
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
  const script = (name) => join(root, "subgraphs", name, "dist/main.js");
  try {
    if (options.randomPorts) {
      // Each subgraph is told where the ones it calls are when it starts: all send audit events to identity;
      // dataset (Text-to-SQL) and the later ones call the model API; conversation and workflow read datasets.
      await launch("identity", script("identity"));
      setUrl("identity"); // every later subgraph sends its audit events there
      await launch("model", script("model"));
      setUrl("model");
      await launch("dataset", script("dataset"));
      setUrl("dataset");
      await Promise.all(["conversation", "workflow"].map((name) => launch(name, script(name))));
    } else {
      for (const name of SUBGRAPHS) ports[name] = Number(shared[`ODS_${name.toUpperCase()}_PORT`]);
      for (const name of SUBGRAPHS) setUrl(name);
      shared.ODS_PUBLIC_URL ||= `http://localhost:${shared.ODS_GATEWAY_PORT}`;
      await Promise.all(SUBGRAPHS.map((name) => launch(name, script(name))));
    }
    for (const name of SUBGRAPHS) setUrl(name);
    await launch("gateway", join(root, "gateway/dist/main.js"));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${ports.gateway}`,
    publicUrl: shared.ODS_PUBLIC_URL || `http://localhost:${ports.gateway}`,
    ports,
    dataDir,
    internalSecret: shared.ODS_INTERNAL_SECRET,
    children,
    stop,
  };
}
