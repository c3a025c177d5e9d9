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

export type InputConfig = z.infer<typeof inputConfig>;
export type LlmConfig = z.infer<typeof llmConfig>;
export type OutputConfig = z.infer<typeof outputConfig>;

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
