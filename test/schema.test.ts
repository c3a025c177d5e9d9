// schema/ is printed from code and composed, and the typed documents of the web app and the SDK are generated
// from it: these tests fail when any of them is stale or when composition reports errors.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = (args: string[]) =>
  promisify(execFile)(process.execPath, args, { cwd: process.cwd() }).catch(
    (err: { stdout: string; stderr: string }) => {
      throw new Error(`${err.stdout}\n${err.stderr}`);
    },
  );

it("schema/ matches the code and composes", async () => {
  const { stdout } = await run(["scripts/compose.mjs", "--check"]);
  expect(stdout).toContain("up to date");
});

it("the generated documents match schema/api.graphql and the operations in web/ and the SDK", async () => {
  // `--check` exits non-zero when generating would change a file.
  await run(["node_modules/@graphql-codegen/cli/cjs/bin.js", "--config", "codegen.ts", "--check"]);
});
