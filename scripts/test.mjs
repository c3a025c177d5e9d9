#!/usr/bin/env node
// `npm test`: builds everything (the end-to-end suite runs the built servers and web app), then runs every
// test: unit and contract tests beside the code, and the end-to-end suite that boots the whole platform.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const run = (cmd, args) => {
  console.log(`\n> ${cmd} ${args.join(" ")}`);
  const result = spawnSync(cmd, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, APOLLO_TELEMETRY_DISABLED: "true" },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

if (!process.argv.includes("--no-build")) run("npm", ["run", "build"]);
run("npx", ["vitest", "run", ...process.argv.slice(2).filter((a) => a !== "--no-build")]);
