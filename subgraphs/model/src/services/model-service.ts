import { UniqueConstraintViolationException, type EntityManager, type FilterQuery } from "@mikro-orm/core";
import {
  badInput,
  conflict,
  decryptSecret,
  encryptSecret,
  forbidden,
  notFound,
  pageWindow,
  parseInput,
  toPage,
  withDeadline,
  type Caller,
  type Page,
} from "@ods/kit";
import OpenAI from "openai";
import { z } from "zod";
import { BUILTIN_CHAT_ID, BUILTIN_EMBEDDER_ID, Model, ModelKind, ModelProvider } from "../entities/index.js";
import { BUILTIN_EMBEDDING_DIMENSIONS } from "./builtin-embedder.js";

/** How a model answered `checkModel`. */
export enum ModelStatus {
  READY = "READY",
  DEGRADED = "DEGRADED",
  UNAVAILABLE = "UNAVAILABLE",
}

export interface ModelHealthResult {
  status: ModelStatus;
  latencyMs: number | null;
  checkedAt: Date;
  error: string | null;
}

const BUILTINS: {
  id: string;
  kind: ModelKind;
  contextLength: number | null;
  dimensions: number | null;
  description: string;
}[] = [
  {
    id: BUILTIN_CHAT_ID,
    kind: ModelKind.CHAT,
    contextLength: 8192,
    dimensions: null,
    description:
      "Built-in offline model: not a language model. It answers deterministically by quoting the sentences of " +
      "the given context that best match the question. Register an OpenAI-compatible model for real answers.",
  },
  {
    id: BUILTIN_EMBEDDER_ID,
    kind: ModelKind.EMBEDDING,
    contextLength: null,
    dimensions: BUILTIN_EMBEDDING_DIMENSIONS,
    description:
      "Built-in offline embedder: feature hashing of words, word pairs and character 3-grams into 384 " +
      "dimensions. Deterministic and fast; matches shared words, not meaning.",
  },
];

// Fields a request sets itself; defaults must not override what the call is about.
const RESERVED_PARAMS = ["model", "messages", "input", "stream", "stream_options"];

const name = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(
    /^[\p{L}\p{N}][\p{L}\p{N}._:/@+-]*$/u,
    "may hold letters, digits and . _ : / @ + - and must not start with a symbol",
  );
const baseUrl = z
  .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL, e.g. http://host:8000/v1" })
  .max(2000)
  .transform((u) => u.replace(/\/+$/, ""));
const defaultParams = z.record(z.string(), z.unknown()).refine((p) => !RESERVED_PARAMS.some((k) => k in p), {
  message: `must not set ${RESERVED_PARAMS.join(", ")}`,
});
const fields = {
  baseUrl: baseUrl.nullish(),
  apiKey: z.string().trim().min(1, "must not be empty").max(4000).nullish(),
  upstreamModel: z.string().trim().min(1, "must not be empty").max(200).nullish(),
  contextLength: z.number().int().min(1, "must be positive").max(100_000_000).nullish(),
  dimensions: z.number().int().min(1, "must be positive").max(65_536).nullish(),
  defaultParams: defaultParams.nullish(),
  description: z.string().max(2000, "must be at most 2000 characters").nullish(),
};

export const registerModelInput = z
  .object({
    name,
    kind: z.enum(ModelKind),
    provider: z
      .enum(ModelProvider)
      .nullish()
      .transform((p) => p ?? ModelProvider.OPENAI_COMPATIBLE),
    ...fields,
  })
  .superRefine((v, ctx) => {
    if (v.provider === ModelProvider.BUILTIN) {
      ctx.addIssue({
        code: "custom",
        path: ["provider"],
        message: "BUILTIN models ship with the platform and cannot be registered; use OPENAI_COMPATIBLE",
      });
    }
    if (v.provider === ModelProvider.OPENAI_COMPATIBLE && !v.baseUrl) {
      ctx.addIssue({ code: "custom", path: ["baseUrl"], message: "is required for OPENAI_COMPATIBLE models" });
    }
  });

export const updateModelInput = z.object({
  name: name.nullish(),
  kind: z.enum(ModelKind).nullish(),
  ...fields,
});

export type RegisterModelData = z.input<typeof registerModelInput>;
export type UpdateModelData = z.input<typeof updateModelInput>;

/** The model registry: built-ins, registration, changes, look-ups and health checks. */
export class ModelService {
  constructor(
    private readonly options: {
      /** Key that encrypts upstream API keys at rest. */
      secretKey: string;
      /** Deadline of an upstream call (ms). */
      upstreamTimeoutMs: number;
      /** Deadline of a health check (ms). */
      checkTimeoutMs: number;
    },
  ) {}

  /**
   * Creates or refreshes the built-in models with their fixed ids and names. Runs at every start, so a newer
   * release's descriptions and limits replace the stored ones; safe when several replicas start at once.
   */
  async ensureBuiltins(em: EntityManager): Promise<void> {
    for (const [index, builtin] of BUILTINS.entries()) {
      const data = {
        name: builtin.id,
        kind: builtin.kind,
        provider: ModelProvider.BUILTIN,
        baseUrl: null,
        apiKeyEncrypted: null,
        upstreamModel: null,
        contextLength: builtin.contextLength,
        dimensions: builtin.dimensions,
        description: builtin.description,
        ownerId: null,
      };
      const existing = await em.findOne(Model, { id: builtin.id });
      if (existing) {
        em.assign(existing, data);
      } else {
        // A second apart, so "oldest first" lists them in this order even where datetimes have whole seconds.
        const createdAt = new Date(Date.now() - (BUILTINS.length - index) * 1000);
        em.create(Model, { id: builtin.id, ...data, createdAt, updatedAt: createdAt });
      }
      try {
        await em.flush();
      } catch (err) {
        // Another replica inserted it first: that row is as good as ours.
        if (!(err instanceof UniqueConstraintViolationException)) throw err;
        em.clear();
      }
    }
  }

  /** One page of models, optionally of one kind, oldest first (the built-ins lead). */
  async list(
    em: EntityManager,
    args: { kind?: ModelKind | null; first?: number | null; after?: string | null },
  ): Promise<Page<Model>> {
    const { offset, limit } = pageWindow(args);
    const where: FilterQuery<Model> = args.kind ? { kind: args.kind } : {};
    const [rows, total] = await em.findAndCount(Model, where, {
      orderBy: { createdAt: "asc", id: "asc" },
      offset,
      limit,
    });
    return toPage(rows, offset, total);
  }

  /** The model with `id`; NOT_FOUND otherwise. */
  async get(em: EntityManager, id: string): Promise<Model> {
    const model = await em.findOne(Model, { id });
    if (!model) throw notFound("Model", id);
    return model;
  }

  /** The model clients mean by `model`: its name first, else its id. */
  async findByNameOrId(em: EntityManager, ref: string): Promise<Model | null> {
    return (await em.findOne(Model, { name: ref })) ?? (await em.findOne(Model, { id: ref }));
  }

  /** Registers an OpenAI-compatible model; the API key is encrypted before it is stored. */
  async register(em: EntityManager, caller: Caller & { userId: string }, input: RegisterModelData): Promise<Model> {
    const data = parseInput(registerModelInput, input);
    await this.assertNameFree(em, data.name);
    const model = em.create(Model, {
      name: data.name,
      kind: data.kind,
      provider: data.provider,
      baseUrl: data.baseUrl ?? null,
      apiKeyEncrypted: data.apiKey ? encryptSecret(data.apiKey, this.options.secretKey) : null,
      upstreamModel: data.upstreamModel ?? null,
      contextLength: data.contextLength ?? null,
      dimensions: data.dimensions ?? null,
      defaultParams: data.defaultParams ?? null,
      description: data.description ?? null,
      ownerId: caller.userId,
    });
    await this.flushUnique(em, data.name);
    return model;
  }

  /**
   * Changes a model. Fields left out stay as they are; `null` clears an optional field (`apiKey: null` removes
   * the stored key). Built-ins cannot be changed; editors may change only the models they registered.
   */
  async update(
    em: EntityManager,
    caller: Caller & { userId: string },
    id: string,
    input: UpdateModelData,
  ): Promise<Model> {
    const data = parseInput(updateModelInput, input);
    const model = await this.get(em, id);
    this.assertMayChange(caller, model, "changed");
    if (data.name != null && data.name !== model.name) {
      await this.assertNameFree(em, data.name);
      model.name = data.name;
    }
    if (data.kind != null) model.kind = data.kind;
    if (data.baseUrl !== undefined) model.baseUrl = data.baseUrl;
    if (data.apiKey !== undefined) {
      model.apiKeyEncrypted = data.apiKey ? encryptSecret(data.apiKey, this.options.secretKey) : null;
    }
    for (const key of ["upstreamModel", "contextLength", "dimensions", "defaultParams", "description"] as const) {
      if (data[key] !== undefined) (model as unknown as Record<string, unknown>)[key] = data[key];
    }
    if (model.provider === ModelProvider.OPENAI_COMPATIBLE && !model.baseUrl) {
      throw badInput("Invalid input: baseUrl: is required for OPENAI_COMPATIBLE models", {
        baseUrl: "is required for OPENAI_COMPATIBLE models",
      });
    }
    await this.flushUnique(em, model.name);
    return model;
  }

  /** Deletes a model; the built-ins cannot be deleted. */
  async delete(em: EntityManager, caller: Caller & { userId: string }, id: string): Promise<boolean> {
    const model = await this.get(em, id);
    this.assertMayChange(caller, model, "deleted");
    await em.removeAndFlush(model);
    return true;
  }

  /**
   * Checks that a model answers: built-ins are always READY; an OpenAI-compatible upstream must answer
   * `GET /models` within the check deadline (UNAVAILABLE otherwise) and list the model (DEGRADED otherwise).
   */
  async check(em: EntityManager, id: string): Promise<ModelHealthResult> {
    const model = await this.get(em, id);
    const checkedAt = new Date();
    if (model.provider === ModelProvider.BUILTIN) {
      return { status: ModelStatus.READY, latencyMs: 0, checkedAt, error: null };
    }
    const started = performance.now();
    const deadline = this.options.checkTimeoutMs;
    try {
      const client = this.client(model, deadline);
      const page = await withDeadline(
        client.models.list({ timeout: deadline, signal: AbortSignal.timeout(deadline) }),
        deadline + 100,
        `no answer within ${deadline} ms`,
      );
      const latencyMs = Math.round(performance.now() - started);
      const want = model.upstreamModel ?? model.name;
      const listed = page.data.map((m) => m.id);
      if (listed.length > 0 && !listed.includes(want)) {
        const shown = listed.slice(0, 10).join(", ") + (listed.length > 10 ? ", …" : "");
        return {
          status: ModelStatus.DEGRADED,
          latencyMs,
          checkedAt,
          error: `The upstream answers but does not list the model "${want}" (it lists: ${shown}); set upstreamModel`,
        };
      }
      return { status: ModelStatus.READY, latencyMs, checkedAt, error: null };
    } catch (err) {
      return {
        status: ModelStatus.UNAVAILABLE,
        latencyMs: Math.round(performance.now() - started),
        checkedAt,
        error: `${model.baseUrl}/models: ${describeUpstreamError(err)}`,
      };
    }
  }

  /** An `openai` SDK client for an OpenAI-compatible model's upstream, with its decrypted API key. */
  client(model: Model, timeoutMs = this.options.upstreamTimeoutMs): OpenAI {
    if (!model.baseUrl) throw new Error(`Model ${model.name} has no baseUrl`);
    const apiKey = model.apiKeyEncrypted ? decryptSecret(model.apiKeyEncrypted, this.options.secretKey) : undefined;
    return new OpenAI({
      baseURL: model.baseUrl,
      // Keyless upstreams (a local vLLM or Ollama) get no Authorization header at all.
      apiKey: apiKey ?? "unused",
      defaultHeaders: apiKey ? undefined : { Authorization: null },
      timeout: timeoutMs,
      maxRetries: 0,
    });
  }

  private assertMayChange(caller: Caller, model: Model, verb: string): void {
    if (model.provider === ModelProvider.BUILTIN) {
      throw badInput(`${model.name} is a built-in model and cannot be ${verb}`);
    }
    if (!caller.roles.includes("admin") && model.ownerId !== caller.userId) {
      throw forbidden(`Only the model's owner or an admin may do this`);
    }
  }

  private async assertNameFree(em: EntityManager, modelName: string): Promise<void> {
    if (await em.count(Model, { name: modelName })) throw conflict(`A model named ${modelName} already exists`);
  }

  private async flushUnique(em: EntityManager, modelName: string): Promise<void> {
    try {
      await em.flush();
    } catch (err) {
      // Two registrations raced past the name check: the database's unique index decides.
      if (err instanceof UniqueConstraintViolationException)
        throw conflict(`A model named ${modelName} already exists`);
      throw err;
    }
  }
}

/** A short, client-safe description of why an upstream call failed. */
export function describeUpstreamError(err: unknown): string {
  if (err instanceof OpenAI.APIConnectionTimeoutError) return "timed out";
  if (err instanceof OpenAI.APIUserAbortError) return "aborted";
  if (err instanceof OpenAI.APIConnectionError) {
    const cause = (err.cause as { code?: string; message?: string } | undefined) ?? {};
    return `could not connect (${cause.code ?? cause.message ?? err.message})`;
  }
  if (err instanceof OpenAI.APIError) return `HTTP ${err.status ?? "error"}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
