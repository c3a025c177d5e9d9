import { z } from "zod";

/** A named port of a node type, shown in the editor. */
export interface NodePort {
  name: string;
  description: string;
}

/** What the editor and the validator know about a node type; the engine holds how to run it. */
export interface NodeTypeDefinition {
  name: string;
  category: string;
  description: string;
  inputs: NodePort[];
  outputs: NodePort[];
  /** Validates (and fills defaults of) a node's `config`. */
  config: z.ZodType<Record<string, unknown>>;
}

const fieldName = z
  .string()
  .regex(/^[A-Za-z0-9_][\w-]*$/, "must be letters, digits, _ or - (usable as {{input.<name>}})")
  .max(64, "must be at most 64 characters");

export const inputConfig = z
  .object({
    fields: z
      .array(fieldName)
      .max(100)
      .optional()
      .describe("Input names the run must be given; a run without one of them fails."),
  })
  .strict();

export const llmConfig = z
  .object({
    modelId: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(200)
      .default("builtin-offline")
      .describe("The model's name in the model registry."),
    prompt: z
      .string()
      .min(1, "must not be empty")
      .max(100_000)
      .describe("The user message; {{input.<name>}} and {{<nodeId>.<field>}} are replaced before the call."),
    systemPrompt: z.string().max(100_000).optional().describe("The system message; placeholders work here too."),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().min(1).max(1_000_000).optional(),
    promptTemplate: z
      .object({
        name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
        version: z.number().int("must be a whole number").min(1, "must be at least 1").optional(),
        variables: z
          .record(z.string(), z.unknown(), { error: "must be an object of name: value" })
          .optional()
          .describe("Template variables; placeholders in their string values are replaced first, as in prompt."),
      })
      .strict()
      .optional()
      .describe(
        "A prompt template of the model registry, rendered by the model API as the first system message " +
          "(before systemPrompt).",
      ),
  })
  .strict();

export const outputConfig = z
  .object({
    name: fieldName
      .optional()
      .describe("The key of this value in the execution's outputs; the node id when not given."),
    value: z
      .string()
      .max(100_000)
      .optional()
      .describe("A template for the value; the `text` of the single upstream node when not given."),
  })
  .strict();

/** The most rows a dataset node reads. */
export const DATASET_ROW_LIMIT = 10_000;

export const datasetConfig = z
  .object({
    datasetId: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(200, "must be at most 200 characters")
      .describe("The dataset's id; may be a placeholder such as {{input.datasetId}}."),
    version: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .optional()
      .describe("The version number to read; the newest version when not given."),
    limit: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(DATASET_ROW_LIMIT, `must be at most ${DATASET_ROW_LIMIT}`)
      .default(100)
      .describe("Reads at most this many rows from the start of the dataset; `truncated` tells when there were more."),
    columns: z
      .array(z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"))
      .min(1, "must list at least one column")
      .max(1000, "at most 1000 columns")
      .refine((cols) => new Set(cols).size === cols.length, "must not list a column twice")
      .optional()
      .describe("The columns to keep, in this order; every column when not given."),
  })
  .strict();

export type InputConfig = z.infer<typeof inputConfig>;
export type LlmConfig = z.infer<typeof llmConfig>;
export type OutputConfig = z.infer<typeof outputConfig>;
export type DatasetConfig = z.infer<typeof datasetConfig>;

/** The node library, by type name. */
export const NODE_TYPES: ReadonlyMap<string, NodeTypeDefinition> = new Map(
  [
    {
      name: "input",
      category: "io",
      description: "Starts the run: outputs the inputs the run was given. Exactly one per workflow.",
      inputs: [],
      outputs: [{ name: "*", description: "Each run input by its name, read as {{input.<name>}}." }],
      config: inputConfig,
    },
    {
      name: "llm",
      category: "ai",
      description: "Calls a chat model with a prompt built from the run inputs and upstream outputs, streaming.",
      inputs: [{ name: "in", description: "Upstream outputs, read through placeholders in the prompt." }],
      outputs: [
        { name: "text", description: "The model's reply." },
        { name: "usage", description: "{ promptTokens, completionTokens } as the model reported them." },
      ],
      config: llmConfig,
    },
    {
      name: "dataset",
      category: "data",
      description:
        "Reads the first rows of a dataset as the user who runs the workflow, for the nodes after it " +
        "(e.g. {{<nodeId>.text}} in an llm prompt).",
      inputs: [{ name: "in", description: "Upstream outputs, read through a placeholder in datasetId." }],
      outputs: [
        { name: "rows", description: "The rows read, each an object of column: value." },
        { name: "rowCount", description: "How many rows were read." },
        { name: "columns", description: "The column names, in order." },
        { name: "truncated", description: "True when the dataset has more rows than `limit`." },
        { name: "text", description: "The rows as CSV with a header line, for a prompt." },
      ],
      config: datasetConfig,
    },
    {
      name: "output",
      category: "io",
      description: "Ends the run: its value becomes part of the execution's outputs.",
      inputs: [{ name: "in", description: "The upstream node whose text is the default value." }],
      outputs: [{ name: "value", description: "The rendered value." }],
      config: outputConfig,
    },
  ].map((t) => [t.name, t as NodeTypeDefinition]),
);

/** A node type's config as JSON Schema (what `nodeTypes.configSchema` returns). */
export function configJsonSchema(definition: NodeTypeDefinition): Record<string, unknown> {
  return z.toJSONSchema(definition.config, { io: "input" }) as Record<string, unknown>;
}
