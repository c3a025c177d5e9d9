import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const kit = fileURLToPath(new URL("./packages/kit/src/index.ts", import.meta.url));

export default defineConfig({
  resolve: {
    // graphql 16 has no `exports` map: without this, test code and dependencies load two copies of graphql
    // ("Cannot use GraphQLObjectType from another module or realm", STACK.md pitfall 9).
    alias: { graphql: "graphql/index.js", "@ods/kit": kit },
  },
  test: {
    // type-graphql and MikroORM read decorator metadata through the Reflect polyfill.
    setupFiles: ["reflect-metadata"],
    // expect.poll waits for things that happen in other processes or on timers; under a loaded CI machine the
    // default second is too short to mean "never".
    expect: { poll: { timeout: 10_000 } },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["{packages,subgraphs,gateway,scripts}/**/{src,test}/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**"],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/**/*.test.ts"],
          // Each e2e file boots the whole platform; two at once would fight over the 2 cores.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
