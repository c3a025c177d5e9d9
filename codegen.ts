import type { CodegenConfig } from "@graphql-codegen/cli";

/**
 * Typed documents for the web app and the SDK, generated from the client-facing API schema that
 * `npm run compose` writes (plain SDL, no federation directives). Run with `npm run codegen`; the generated
 * folders are committed, so a schema change shows up in review as a diff of the types that use it.
 *
 * Every operation must be named: the client preset silently skips anonymous ones (STACK.md pitfall 18).
 */

/** Options shared by both outputs. */
const typesConfig = {
  // Both consumers are ESM: the SDK under NodeNext (needs `.js` suffixes) and SvelteKit (`verbatimModuleSyntax`).
  useTypeImports: true,
  emitLegacyCommonJSImports: false,
  enumsAsTypes: true,
  // DateTime travels as an ISO 8601 string; JSON is whatever the server sent, so callers must narrow it.
  scalars: { DateTime: "string", JSON: "unknown" },
  strictScalars: true,
  avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
};

const config: CodegenConfig = {
  schema: "schema/api.graphql",
  ignoreNoDocuments: false,
  generates: {
    "web/src/lib/gql/": {
      preset: "client",
      // svelte2tsx lets the tag plucker read `graphql(...)` calls inside `.svelte` files too.
      documents: ["web/src/**/*.{ts,svelte}", "!web/src/lib/gql/**"],
      presetConfig: { fragmentMasking: false },
      config: typesConfig,
    },
    "packages/sdk/src/gql/": {
      preset: "client",
      documents: ["packages/sdk/src/**/*.ts", "!packages/sdk/src/gql/**", "!packages/sdk/src/**/*.test.ts"],
      presetConfig: { fragmentMasking: false },
      config: typesConfig,
    },
  },
};

export default config;
