#!/usr/bin/env node
// `npm start`: builds what is not built, starts the platform, prints where it is and how to sign in.
// Ctrl-C stops every process. Settings come from the environment and from `.env` (see .env.example).
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { root, startPlatform, SUBGRAPHS } from "./platform.mjs";

if (existsSync(join(root, ".env"))) process.loadEnvFile(join(root, ".env"));

const needsServerBuild = ["gateway", ...SUBGRAPHS.map((s) => `subgraphs/${s}`)].some(
  (dir) => !existsSync(join(root, dir, "dist/main.js")),
);
if (needsServerBuild || process.argv.includes("--build")) {
  console.log("Building the servers (first start only)…");
  execSync("npm run build:server", { cwd: root, stdio: "inherit" });
}
if (!existsSync(join(root, "web/build/index.html"))) {
  console.log("Building the web app (first start only)…");
  execSync("npm run build -w web", { cwd: root, stdio: "inherit" });
}

const levels = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
let setupUrl;
const onLog = (name, line) => {
  try {
    const entry = JSON.parse(line);
    if (entry.setupUrl) setupUrl = entry.setupUrl;
    const extra = Object.entries(entry)
      .filter(([k]) => !["level", "time", "pid", "hostname", "name", "msg", "requestId"].includes(k))
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    console.log(`${levels[entry.level] ?? "info"} [${name}] ${entry.msg ?? ""} ${extra}`.trimEnd());
  } catch {
    console.log(`[${name}] ${line}`);
  }
};

console.log("Starting One Data Studio…");
const platform = await startPlatform({ onLog }).catch((err) => {
  console.error(`\nCould not start: ${err.message}`);
  process.exit(1);
});
console.log(`\n  One Data Studio is running at ${platform.publicUrl}`);
if (setupUrl) console.log(`  First start: create the admin account at ${setupUrl}`);
else if (process.env.ODS_ADMIN_EMAIL) console.log(`  Sign in as ${process.env.ODS_ADMIN_EMAIL} (ODS_ADMIN_PASSWORD).`);
else console.log("  Sign in with your account.");
console.log(`  GraphQL: ${platform.publicUrl}/graphql · OpenAI-compatible API: ${platform.publicUrl}/v1`);
console.log("  Press Ctrl-C to stop.\n");

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping…");
  await platform.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
for (const { name, child } of platform.children) {
  child.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`${name} stopped unexpectedly (${signal ?? `exit code ${code}`}); stopping the platform.`);
    void shutdown();
  });
}
