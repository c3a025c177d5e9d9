// schema/ is printed from code and composed: the test fails when it is stale or when composition reports errors.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, it } from "vitest";

it("schema/ matches the code and composes", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ["scripts/compose.mjs", "--check"], {
    cwd: process.cwd(),
  }).catch((err: { stdout: string; stderr: string }) => {
    throw new Error(`${err.stdout}\n${err.stderr}`);
  });
  expect(stdout).toContain("up to date");
});
