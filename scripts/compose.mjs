#!/usr/bin/env node
// Prints each subgraph's schema from its code to schema/<name>.graphql and composes them with
// @apollo/composition into schema/supergraph.graphql (what the gateway serves) and schema/api.graphql (what
// clients see; codegen reads it). `--check` writes nothing and fails when a file is stale or composition fails.
// Needs the subgraphs built (`npm run build:server`).
import "reflect-metadata";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { composeServices } from "@apollo/composition";
import { parse, printSchema } from "graphql";
import { buildFederatedSchema, printFederatedSchema } from "@ods/kit";

process.env.APOLLO_TELEMETRY_DISABLED ??= "true";
const root = resolve(import.meta.dirname, "..");
/** Subgraph names and the default ports baked into the supergraph (the gateway overrides URLs from its config). */
export const SUBGRAPHS = { identity: 4001, dataset: 4002, model: 4003, conversation: 4004, workflow: 4005 };

const check = process.argv.includes("--check");
const outputs = {};
const services = [];
for (const [name, port] of Object.entries(SUBGRAPHS)) {
  const { schemaOptions } = await import(join(root, "subgraphs", name, "dist/schema.js"));
  const sdl = printFederatedSchema(await buildFederatedSchema(schemaOptions));
  outputs[`${name}.graphql`] = sdl;
  services.push({ name, url: `http://127.0.0.1:${port}/graphql`, typeDefs: parse(sdl) });
}
const result = composeServices(services);
if (result.errors?.length) {
  console.error("Composition failed:");
  for (const error of result.errors) console.error(`  - ${error.message}`);
  process.exit(1);
}
for (const hint of result.hints ?? []) if (process.env.ODS_COMPOSE_HINTS) console.warn(`hint: ${hint.message}`);
outputs["supergraph.graphql"] = result.supergraphSdl;
outputs["api.graphql"] = printSchema(result.schema.toAPISchema().toGraphQLJSSchema());

const stale = [];
for (const [file, text] of Object.entries(outputs)) {
  const path = join(root, "schema", file);
  let current = "";
  try {
    current = readFileSync(path, "utf8");
  } catch {
    // missing counts as stale
  }
  if (current === text) continue;
  stale.push(file);
  if (!check) writeFileSync(path, text);
}
if (check && stale.length) {
  console.error(`schema/ is stale (${stale.join(", ")}): run \`npm run compose\` and commit the result.`);
  process.exit(1);
}
console.log(
  check
    ? "schema/ is up to date"
    : stale.length
      ? `wrote ${stale.map((f) => `schema/${f}`).join(", ")}`
      : "schema/ was already up to date",
);
