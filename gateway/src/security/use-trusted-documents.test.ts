import { formatDocument, stringifyDocument } from "@urql/core";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, print } from "graphql";
import { describe, expect, it } from "vitest";
import { DefenceError } from "./errors.js";
import { defaultManifestPaths, documentsFromGenerated, TrustedDocuments } from "./use-trusted-documents.js";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const ME = "query Me { me { id email roles } }";

function refusalCode(trusted: TrustedDocuments, body: Parameters<TrustedDocuments["resolve"]>[0]) {
  try {
    trusted.resolve(body);
    return undefined;
  } catch (err) {
    return (err as DefenceError).extensions.code;
  }
}

describe("trusted documents", () => {
  it("loads a client-preset manifest (sha256: keys) and resolves by hash or by the query itself", () => {
    const dir = mkdtempSync(join(tmpdir(), "ods-trusted-"));
    const path = join(dir, "persisted-documents.json");
    writeFileSync(path, JSON.stringify({ [`sha256:${sha256(ME)}`]: ME }));
    const trusted = TrustedDocuments.fromFiles([path, join(dir, "missing.json")]);
    expect(trusted.size).toBe(1);
    expect(trusted.resolve({ extensions: { persistedQuery: { sha256Hash: sha256(ME) } } })).toBe(ME);
    expect(trusted.resolve({ query: ME })).toBe(ME);
  });

  it("accepts the same operation as urql sends it (its printer, __typename added)", () => {
    const trusted = new TrustedDocuments([[undefined, ME]]);
    const asUrqlSendsIt = stringifyDocument(formatDocument(parse(ME)));
    expect(asUrqlSendsIt).toContain("__typename");
    expect(asUrqlSendsIt).not.toBe(ME);
    expect(trusted.resolve({ query: asUrqlSendsIt })).toBe(asUrqlSendsIt);
    // Reordered fields and whitespace are the same operation.
    expect(trusted.resolve({ query: "query Me {\n  me { roles email id }\n}" })).toBeTruthy();
  });

  it("refuses an unknown hash (PERSISTED_QUERY_NOT_FOUND) and any other query (FORBIDDEN)", () => {
    const trusted = new TrustedDocuments([[undefined, ME]]);
    expect(refusalCode(trusted, { extensions: { persistedQuery: { sha256Hash: sha256("{ x }") } } })).toBe(
      "PERSISTED_QUERY_NOT_FOUND",
    );
    expect(refusalCode(trusted, { query: "query Me { me { id email roles apiKeys { id } } }" })).toBe("FORBIDDEN");
    expect(refusalCode(trusted, { query: "{ __schema { types { name } } }" })).toBe("FORBIDDEN");
    expect(refusalCode(trusted, { query: "query Me { me { id email roles } " })).toBe("FORBIDDEN");
    expect(refusalCode(trusted, {})).toBe("FORBIDDEN");
  });

  it("reads the generated operations of the web app and the SDK without running codegen", () => {
    const files = defaultManifestPaths().filter((p) => p.endsWith(".ts"));
    const documents = files.flatMap((p) => documentsFromGenerated(readFileSync(p, "utf8")));
    expect(documents.length).toBeGreaterThan(5);
    const trusted = TrustedDocuments.fromFiles(files);
    for (const query of documents) {
      // As the web app's urql client sends it, and as the SDK prints it.
      expect(trusted.resolve({ query: stringifyDocument(formatDocument(parse(query))) })).toBeTruthy();
      expect(trusted.resolve({ query: print(parse(query)) })).toBeTruthy();
      expect(trusted.resolve({ extensions: { persistedQuery: { sha256Hash: sha256(query) } } })).toBe(query);
    }
  });
});
