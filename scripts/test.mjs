#!/usr/bin/env node
// `npm test`: builds everything (the end-to-end suite runs the built servers and web app), then runs every
// test: unit and contract tests beside the code, and the end-to-end suite that boots the whole platform. Then the
// dataset subgraph's integration suites run again with its own tables on PostgreSQL and on MariaDB (skipped, with
// the reason printed, where the server is not reachable).
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2).filter((a) => a !== "--no-build");
const run = (cmd, cmdArgs, env = {}) => {
  console.log(
    `\n> ${Object.entries(env)
      .map(([k, v]) => `${k}=${v} `)
      .join("")}${cmd} ${cmdArgs.join(" ")}`,
  );
  const result = spawnSync(cmd, cmdArgs, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, APOLLO_TELEMETRY_DISABLED: "true", ...env },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
const answers = (cmd, cmdArgs) => spawnSync(cmd, cmdArgs, { stdio: "ignore", timeout: 10_000 }).status === 0;

if (!process.argv.includes("--no-build")) run("npm", ["run", "build"]);
run("npx", ["vitest", "run", ...args]);

if (args.length === 0) {
  const suites = ["dataset.test.ts", "dataset-versions.test.ts", "sql.test.ts", "ask.test.ts"].map(
    (f) => `subgraphs/dataset/test/${f}`,
  );
  const servers = {
    postgresql: answers("pg_isready", ["-h", "127.0.0.1", "-p", "5432"]),
    mariadb: answers("mysqladmin", ["-h127.0.0.1", "-uroot", "ping"]),
  };
  for (const [dialect, up] of Object.entries(servers)) {
    if (up) run("npx", ["vitest", "run", "--project", "unit", ...suites], { ODS_TEST_DIALECT: dialect });
    else
      console.warn(
        `\n[npm test] ${dialect} is not reachable on 127.0.0.1: the dataset suites on ${dialect} are skipped`,
      );
  }
}
