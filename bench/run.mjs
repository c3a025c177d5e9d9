#!/usr/bin/env node
// `npm run bench`: every benchmark in bench/, each printing its own table. Builds first if needed.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
if (!existsSync(resolve(root, "gateway/dist/main.js")))
  execSync("npm run build:server", { cwd: root, stdio: "inherit" });
for (const bench of [
  "gateway-overhead.mjs",
  "data-layer.mjs",
  "model-api.mjs",
  "chat-stream.mjs",
  "chat-timeline.mjs",
  "ingestion.mjs",
  "vector-index.mjs",
]) {
  console.log(`\n### ${bench}`);
  execSync(`node ${resolve(import.meta.dirname, bench)}`, { cwd: root, stdio: "inherit" });
}
