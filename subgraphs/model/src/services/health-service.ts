import type { EntityManager, MikroORM } from "@mikro-orm/core";
import { withDeadline, type Logger, type ReadinessCheck } from "@ods/kit";
import { Model, ModelProvider } from "../entities/index.js";
import { ModelStatus, type ModelEndpoint } from "../entities/model-endpoint.js";
import { describeUpstreamError, type ModelHealthResult, type ModelService } from "./model-service.js";
import type { EndpointRouter } from "./routing/router.js";

/** The last verdict on one endpoint, kept in memory for `/readyz`. */
interface Seen {
  model: string;
  baseUrl: string;
  status: ModelStatus;
  latencyMs: number | null;
}

/**
 * Health of the models' upstreams: `checkModel` calls each endpoint's `GET /models` with a deadline and stores
 * its status and latency; a periodic probe does the same for every OpenAI-compatible model.
 */
export class HealthService {
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;

  constructor(
    private readonly models: ModelService,
    private readonly router: EndpointRouter,
    private readonly options: { checkTimeoutMs: number },
  ) {}

  /** Deadline of one upstream's `GET /models` (ms). */
  get checkTimeoutMs(): number {
    return this.options.checkTimeoutMs;
  }

  /**
   * Checks every endpoint of a model and stores the verdicts. An endpoint is READY when it answers and lists the
   * model, DEGRADED when it answers without listing it, UNAVAILABLE when it does not answer in time. The model
   * is READY when all its endpoints are, UNAVAILABLE when none answers, DEGRADED otherwise. Built-ins are READY.
   */
  async checkModel(em: EntityManager, id: string): Promise<ModelHealthResult> {
    const model = await this.models.get(em, id);
    const checkedAt = new Date();
    if (model.provider === ModelProvider.BUILTIN) {
      return { status: ModelStatus.READY, latencyMs: 0, checkedAt, error: null };
    }
    const endpoints = await this.models.ensureEndpoints(em, model);
    await Promise.all(endpoints.map((endpoint) => this.checkEndpoint(model, endpoint, checkedAt)));
    await em.flush();
    const ready = endpoints.filter((e) => e.status === ModelStatus.READY);
    const answering = endpoints.filter((e) => e.status !== ModelStatus.UNAVAILABLE);
    const status =
      ready.length === endpoints.length
        ? ModelStatus.READY
        : answering.length === 0
          ? ModelStatus.UNAVAILABLE
          : ModelStatus.DEGRADED;
    const latencies = answering.map((e) => e.latencyMs ?? 0);
    const errors = endpoints
      .filter((e) => e.error)
      .map((e) => (endpoints.length > 1 ? `${e.baseUrl}: ${e.error}` : e.error));
    return {
      status,
      latencyMs: latencies.length ? Math.min(...latencies) : Math.max(...endpoints.map((e) => e.latencyMs ?? 0)),
      checkedAt,
      error: errors.length ? errors.join("; ") : null,
    };
  }

  /** Checks every OpenAI-compatible model once; one model's failure does not stop the others. */
  async probeAll(orm: MikroORM, logger: Logger): Promise<void> {
    const em = orm.em.fork();
    const models = await em.find(Model, { provider: ModelProvider.OPENAI_COMPATIBLE });
    for (const model of models) {
      try {
        await this.checkModel(em, model.id);
      } catch (err) {
        logger.warn({ err, model: model.name }, "model health probe failed");
      }
    }
  }

  /** Probes every `intervalMs` (0 disables it); a probe still running when the next is due is not doubled. */
  start(orm: MikroORM, logger: Logger, intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.probeAll(orm, logger).finally(() => (this.running = null));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic probe and waits for a running one. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * The `/readyz` entry for the upstreams. It never fails: the platform works with the built-in models when
   * every upstream is down. Its name lists each endpoint's last known status, as `/readyz` shows names.
   */
  readiness(): ReadinessCheck {
    const seen = this.seen;
    return {
      get name() {
        const list = [...seen.values()].map(
          (s) => `${s.model}@${s.baseUrl} ${s.status}${s.latencyMs != null ? ` ${s.latencyMs}ms` : ""}`,
        );
        return `upstreams (optional): ${list.length ? list.join(", ") : "none checked yet"}`;
      },
      check: async () => {},
    };
  }

  private async checkEndpoint(model: Model, endpoint: ModelEndpoint, checkedAt: Date): Promise<void> {
    const started = performance.now();
    const deadline = this.options.checkTimeoutMs;
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const page = await withDeadline(
        this.router.client(endpoint).models.list({ timeout: deadline, signal: AbortSignal.timeout(deadline) }),
        deadline + 100,
        `no answer within ${deadline} ms`,
      );
      const want = model.upstreamModel ?? model.name;
      const listed = page.data.map((m) => m.id);
      endpoint.latencyMs = elapsed();
      if (listed.length > 0 && !listed.includes(want)) {
        const shown = listed.slice(0, 10).join(", ") + (listed.length > 10 ? ", …" : "");
        endpoint.status = ModelStatus.DEGRADED;
        endpoint.error = `The upstream answers but does not list the model "${want}" (it lists: ${shown}); set upstreamModel`;
      } else {
        endpoint.status = ModelStatus.READY;
        endpoint.error = null;
      }
    } catch (err) {
      endpoint.latencyMs = elapsed();
      endpoint.status = ModelStatus.UNAVAILABLE;
      endpoint.error = `${endpoint.baseUrl}/models: ${describeUpstreamError(err)}`;
    }
    endpoint.checkedAt = checkedAt;
    this.seen.set(endpoint.id, {
      model: model.name,
      baseUrl: endpoint.baseUrl,
      status: endpoint.status,
      latencyMs: endpoint.latencyMs ?? null,
    });
  }
}
