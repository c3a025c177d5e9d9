import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { toYaml, toYamlDocuments, type YamlValue } from "./yaml.js";

describe("toYaml", () => {
  it("writes values that a YAML parser reads back unchanged, however awkward the strings", () => {
    const value: YamlValue = {
      plain: "vllm/vllm-openai:v0.6.3",
      "nvidia.com/gpu": "2",
      dashes: ["--model", "-tp", "-", "--max-model-len=8192"],
      lookalikes: ["yes", "No", "on", "OFF", "true", "null", "~", "y", "123", "1e3", "0x1F", "1:20", ".inf", ""],
      indicators: ["a: b", "# not a comment", "key:", "[x]", "{y}", "*ref", "&anchor", "!tag", "|", ">", "'q'", '"q"'],
      text: "line one\nline two\ttab \u0001 control, unicode 你好 🚀, trailing space ",
      numbers: [0, 8000, -1, 1.5],
      flags: [true, false, null],
      empty: { list: [], map: {} },
      nested: [{ name: "shm", emptyDir: { medium: "Memory" } }, [["deep"]], { a: [{ b: [1, { c: "d" }] }] }],
      "key with: colon": "value",
    };
    const text = toYaml(value);
    expect(parse(text)).toEqual(value);
    // Stays readable: simple strings and keys are not quoted.
    expect(text).toContain("plain: vllm/vllm-openai:v0.6.3\n");
    expect(text).toContain('nvidia.com/gpu: "2"\n');
    expect(text).toContain('\n- "yes"\n');
  });

  it("writes a document per value, separated by ---", () => {
    const text = toYamlDocuments([{ kind: "Deployment" }, { kind: "Service" }]);
    expect(text).toBe("kind: Deployment\n---\nkind: Service\n");
    expect(parseAllDocuments(text).map((d) => d.toJSON())).toEqual([{ kind: "Deployment" }, { kind: "Service" }]);
  });

  it("refuses numbers YAML cannot hold", () => {
    expect(() => toYaml({ n: Number.NaN })).toThrow(/NaN/);
  });
});
