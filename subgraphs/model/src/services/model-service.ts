import {
  UniqueConstraintViolationException,
  type EntityManager,
  type EventManager,
  type EventSubscriber,
  type FilterQuery,
} from "@mikro-orm/core";
import {
  badInput,
  conflict,
  decryptSecret,
  type SecretKeys,
  encryptSecret,
  forbidden,
  notFound,
  pageWindow,
  parseInput,
  toPage,
  type Caller,
  type Page,
} from "@ods/kit";
import OpenAI from "openai";
import { z } from "zod";
import {
  BUILTIN_CHAT_ID,
  BUILTIN_EMBEDDER_ID,
  BUILTIN_RERANKER_ID,
  Model,
  ModelKind,
  ModelProvider,
} from "../entities/index.js";
import { ModelEndpoint, ModelStatus } from "../entities/model-endpoint.js";
import { BUILTIN_EMBEDDING_DIMENSIONS } from "./builtin-embedder.js";
import { modelUsageColumns, modelUsageFields } from "./limits/limit-service.js";

export { ModelStatus };

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
  {
    id: BUILTIN_RERANKER_ID,
    kind: ModelKind.RERANK,
    contextLength: null,
    dimensions: null,
    description:
      "Built-in offline reranker: scores a document by the cosine of its builtin-embedder vector with the " +
      "query's, blended with the share of the query's words it contains. Lexical, not semantic.",
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
/** One upstream of a model: `RegisterModelInput.endpoints[]` and `addEndpoint`. */
export const endpointInput = z.object({
  baseUrl,
  apiKey: z.string().trim().min(1, "must not be empty").max(4000).nullish(),
  weight: z.number().int().min(0, "must be 0 or more").max(1000, "must be at most 1000").nullish(),
});
export type EndpointData = z.input<typeof endpointInput>;

const fields = {
  baseUrl: baseUrl.nullish(),
  apiKey: z.string().trim().min(1, "must not be empty").max(4000).nullish(),
  upstreamModel: z.string().trim().min(1, "must not be empty").max(200).nullish(),
  contextLength: z.number().int().min(1, "must be positive").max(100_000_000).nullish(),
  dimensions: z.number().int().min(1, "must be positive").max(65_536).nullish(),
  defaultParams: defaultParams.nullish(),
  description: z.string().max(2000, "must be at most 2000 characters").nullish(),
  tags: z
    .array(z.string().trim().min(1, "each tag must not be empty").max(50, "each tag must be at most 50 characters"))
    .max(20, "must hold at most 20 tags")
    // Repeats carry no meaning; keep the first of each.
    .transform((tags) => [...new Set(tags)])
    .nullish(),
  ...modelUsageFields,
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
    endpoints: z.array(endpointInput).max(32, "must hold at most 32 endpoints").nullish(),
  })
  .superRefine((v, ctx) => {
    if (v.provider === ModelProvider.BUILTIN) {
      ctx.addIssue({
        code: "custom",
        path: ["provider"],
        message: "BUILTIN models ship with the platform and cannot be registered; use OPENAI_COMPATIBLE",
      });
    }
    if (v.provider === ModelProvider.OPENAI_COMPATIBLE && !v.baseUrl && !v.endpoints?.length) {
      ctx.addIssue({
        code: "custom",
        path: ["baseUrl"],
        message: "is required for OPENAI_COMPATIBLE models (or give endpoints)",
      });
    }
    if (v.provider === ModelProvider.BUILTIN && v.endpoints?.length) {
      ctx.addIssue({ code: "custom", path: ["endpoints"], message: "are only for OPENAI_COMPATIBLE models" });
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
/** How long a registry lookup is reused (ms); see {@link ModelService.forgetRegistry}. */
const REGISTRY_TTL_MS = 2_000;

export class ModelService {
  /**
   * Models and endpoints as the OpenAI-compatible API looks them up on every call. Two queries per request were
   * most of the subgraph's own latency under load; the registry changes rarely, so answers are kept briefly and
   * dropped whenever this process flushes a change to a model or an endpoint (see `forgetOnRegistryChange`).
   * Another replica's change shows within `REGISTRY_TTL_MS`.
   */
  private readonly registry = new Map<string, { value: Promise<unknown>; until: number }>();

  private remembered<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.registry.get(key);
    if (hit && hit.until > Date.now()) return hit.value as Promise<T>;
    const value = load();
    this.registry.set(key, { value, until: Date.now() + REGISTRY_TTL_MS });
    // A failed lookup is not remembered.
    value.catch(() => this.registry.delete(key));
    return value;
  }

  /** Forgets every remembered lookup. */
  forgetRegistry(): void {
    this.registry.clear();
  }

  /** Makes every flush that changes a model or an endpoint forget the remembered lookups. */
  forgetOnRegistryChange(events: EventManager): void {
    events.registerSubscriber({
      getSubscribedEntities: () => [Model, ModelEndpoint],
      afterCreate: () => this.forgetRegistry(),
      afterUpdate: () => this.forgetRegistry(),
      afterDelete: () => this.forgetRegistry(),
    } satisfies EventSubscriber);
  }

  constructor(
    private readonly options: {
      /** Key that encrypts upstream API keys at rest. */
      secretKey: SecretKeys;
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

  /** One page of models, optionally of one kind and/or carrying one tag, oldest first (the built-ins lead). */
  async list(
    em: EntityManager,
    args: { kind?: ModelKind | null; tag?: string | null; first?: number | null; after?: string | null },
  ): Promise<Page<Model>> {
    const { offset, limit } = pageWindow(args);
    const where: FilterQuery<Model> = args.kind ? { kind: args.kind } : {};
    if (args.tag != null) {
      // JSON array containment has no portable SQL form over SQLite, PostgreSQL and MariaDB; the registry is
      // small, so the tag is matched here and the page is cut from the matches (totalCount counts them all).
      const all = await em.find(Model, where, { orderBy: { createdAt: "asc", id: "asc" } });
      const tagged = all.filter((m) => (m.tags ?? []).includes(args.tag!));
      return toPage(tagged.slice(offset, offset + limit), offset, tagged.length);
    }
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
    return this.remembered(
      `model:${ref}`,
      async () => (await em.findOne(Model, { name: ref })) ?? (await em.findOne(Model, { id: ref })),
    );
  }

  /** Registers an OpenAI-compatible model; the API key is encrypted before it is stored. */
  async register(em: EntityManager, caller: Caller & { userId: string }, input: RegisterModelData): Promise<Model> {
    const data = parseInput(registerModelInput, input);
    await this.assertNameFree(em, data.name);
    // The single baseUrl/apiKey is the first endpoint; without it, the first of `endpoints` takes its place.
    const upstreams = [
      ...(data.baseUrl ? [{ baseUrl: data.baseUrl, apiKey: data.apiKey ?? null, weight: null }] : []),
      ...(data.endpoints ?? []),
    ].filter(
      (e, i, all) => i === 0 || e.baseUrl !== all[0]!.baseUrl || (e.apiKey ?? null) !== (all[0]!.apiKey ?? null),
    );
    // An endpoints[] entry repeating baseUrl/apiKey sets the first endpoint's weight rather than adding a twin.
    const twin = data.baseUrl
      ? data.endpoints?.find((e) => e.baseUrl === data.baseUrl && (e.apiKey ?? null) === (data.apiKey ?? null))
      : undefined;
    if (twin && upstreams[0]) upstreams[0].weight = twin.weight ?? null;
    const first = upstreams[0];
    const model = em.create(Model, {
      name: data.name,
      kind: data.kind,
      provider: data.provider,
      baseUrl: first?.baseUrl ?? null,
      apiKeyEncrypted: first?.apiKey ? encryptSecret(first.apiKey, this.options.secretKey) : null,
      upstreamModel: data.upstreamModel ?? null,
      contextLength: data.contextLength ?? null,
      dimensions: data.dimensions ?? null,
      defaultParams: data.defaultParams ?? null,
      description: data.description ?? null,
      tags: data.tags ?? [],
      ownerId: caller.userId,
      ...modelUsageColumns(data),
    });
    upstreams.forEach((e, position) => {
      em.create(ModelEndpoint, {
        modelId: model.id,
        position,
        baseUrl: e.baseUrl,
        apiKeyEncrypted: position === 0 ? model.apiKeyEncrypted : this.encrypt(e.apiKey),
        weight: e.weight ?? 1,
      });
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
    if (data.tags !== undefined) model.tags = data.tags ?? [];
    Object.assign(model, modelUsageColumns(data));
    if (model.provider === ModelProvider.OPENAI_COMPATIBLE && !model.baseUrl) {
      throw badInput("Invalid input: baseUrl: is required for OPENAI_COMPATIBLE models", {
        baseUrl: "is required for OPENAI_COMPATIBLE models",
      });
    }
    if (model.baseUrl && (data.baseUrl !== undefined || data.apiKey !== undefined)) {
      // The model's own baseUrl/apiKey is its first endpoint: keep that row in step.
      const [first] = await this.ensureEndpoints(em, model);
      if (first) {
        first.baseUrl = model.baseUrl;
        first.apiKeyEncrypted = model.apiKeyEncrypted ?? null;
      }
    }
    await this.flushUnique(em, model.name);
    return model;
  }

  /** Deletes a model; the built-ins cannot be deleted. */
  async delete(em: EntityManager, caller: Caller & { userId: string }, id: string): Promise<boolean> {
    const model = await this.get(em, id);
    this.assertMayChange(caller, model, "deleted");
    em.remove(await em.find(ModelEndpoint, { modelId: model.id }));
    await em.removeAndFlush(model);
    return true;
  }

  /**
   * A model's upstream endpoints, first registered first. A model registered before endpoints existed has only
   * its `baseUrl`: it is returned as an unsaved endpoint whose id is the model's (nothing is written here).
   */
  async endpointsOf(em: EntityManager, model: Model): Promise<ModelEndpoint[]> {
    if (model.provider === ModelProvider.BUILTIN) return [];
    const rows = await this.remembered(`endpoints:${model.id}`, () =>
      em.find(ModelEndpoint, { modelId: model.id }, { orderBy: { position: "asc", id: "asc" } }),
    );
    if (rows.length > 0 || !model.baseUrl) return rows;
    const legacy = new ModelEndpoint();
    Object.assign(legacy, { id: model.id, modelId: model.id, baseUrl: model.baseUrl });
    legacy.apiKeyEncrypted = model.apiKeyEncrypted ?? null;
    return [legacy];
  }

  /** Like {@link endpointsOf}, but a model's legacy `baseUrl` becomes a stored endpoint (flushed by the caller). */
  async ensureEndpoints(em: EntityManager, model: Model): Promise<ModelEndpoint[]> {
    const rows = await em.find(ModelEndpoint, { modelId: model.id }, { orderBy: { position: "asc", id: "asc" } });
    if (rows.length > 0 || !model.baseUrl || model.provider === ModelProvider.BUILTIN) return rows;
    return [
      em.create(ModelEndpoint, {
        modelId: model.id,
        position: 0,
        baseUrl: model.baseUrl,
        apiKeyEncrypted: model.apiKeyEncrypted ?? null,
      }),
    ];
  }

  /**
   * Adds an upstream endpoint to an OpenAI-compatible model (used by `addModelEndpoint` and by deployments once
   * their service answers). An endpoint with the same base URL is updated instead of duplicated.
   */
  async addEndpoint(em: EntityManager, modelId: string, input: EndpointData): Promise<ModelEndpoint> {
    const data = parseInput(endpointInput, input);
    const model = await this.get(em, modelId);
    if (model.provider === ModelProvider.BUILTIN)
      throw badInput(`${model.name} is a built-in model and has no endpoints`);
    const rows = await this.ensureEndpoints(em, model);
    let endpoint = rows.find((e) => e.baseUrl === data.baseUrl);
    if (endpoint) {
      if (data.apiKey !== undefined) endpoint.apiKeyEncrypted = this.encrypt(data.apiKey);
      if (data.weight != null) endpoint.weight = data.weight;
    } else {
      endpoint = em.create(ModelEndpoint, {
        modelId: model.id,
        position: rows.reduce((max, e) => Math.max(max, e.position + 1), 0),
        baseUrl: data.baseUrl,
        apiKeyEncrypted: this.encrypt(data.apiKey),
        weight: data.weight ?? 1,
      });
    }
    if (!model.baseUrl) {
      model.baseUrl = endpoint.baseUrl;
      model.apiKeyEncrypted = endpoint.apiKeyEncrypted ?? null;
    }
    await em.flush();
    return endpoint;
  }

  /**
   * Removes one endpoint of a model the caller may change. The last endpoint cannot go (delete the model);
   * when the first goes, the next becomes the model's `baseUrl`.
   */
  async removeEndpoint(em: EntityManager, caller: Caller & { userId: string }, endpointId: string): Promise<Model> {
    const endpoint = await em.findOne(ModelEndpoint, { id: endpointId });
    if (!endpoint) throw notFound("ModelEndpoint", endpointId);
    const model = await this.get(em, endpoint.modelId);
    this.assertMayChange(caller, model, "changed");
    const rest = (await this.endpointsOf(em, model)).filter((e) => e.id !== endpoint.id);
    if (rest.length === 0) throw badInput("A model keeps at least one endpoint; delete the model instead");
    em.remove(endpoint);
    model.baseUrl = rest[0]!.baseUrl;
    model.apiKeyEncrypted = rest[0]!.apiKeyEncrypted ?? null;
    await em.flush();
    return model;
  }

  /** Throws unless the caller may change the model (its owner or an admin; never a built-in). */
  async assertMayChangeModel(em: EntityManager, caller: Caller, modelId: string): Promise<void> {
    this.assertMayChange(caller, await this.get(em, modelId), "changed");
  }

  /** Decrypts a stored API key. */
  apiKeyOf(encrypted: string | null | undefined): string | undefined {
    return encrypted ? decryptSecret(encrypted, this.options.secretKey) : undefined;
  }

  private encrypt(apiKey: string | null | undefined): string | null {
    return apiKey ? encryptSecret(apiKey, this.options.secretKey) : null;
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
