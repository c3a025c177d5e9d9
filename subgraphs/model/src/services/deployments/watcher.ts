import type { EntityManager, MikroORM } from "@mikro-orm/core";
import { AppError, ErrorCode, type Logger } from "@ods/kit";
import { ModelDeployment, ModelDeploymentStatus } from "../../entities/model-deployment.js";
import { deploymentEndpoint } from "./manifest.js";

/**
 * Adds an upstream endpoint to a model: `ModelService.addEndpoint`'s contract. Injected so that the watcher
 * depends on the contract only; it runs inside the watcher's transaction, on the `em` it is given.
 */
export type AddEndpoint = (
  em: EntityManager,
  modelId: string,
  endpoint: { baseUrl: string; apiKey?: string | null; weight?: number | null },
) => Promise<unknown>;

export interface DeploymentWatcherOptions {
  addEndpoint: AddEndpoint;
  /** Pause between polls of the pending deployments (ms); 0 disables the periodic poll. */
  pollMs: number;
  /** Deadline of one `GET /models` call (ms). */
  checkTimeoutMs: number;
  /** A deployment still not answering this long after its creation is FAILED (ms); 0 waits forever. */
  readyTimeoutMs: number;
  logger: Logger;
}

/** What one poll did, for logs and tests. */
export interface PollResult {
  checked: number;
  ready: string[];
  failed: string[];
}

/**
 * Polls every PENDING deployment's endpoint (`GET <endpoint>/models`). Once one answers with a model list, its
 * endpoint is added to the model and the deployment becomes READY, both in one transaction, claimed with a
 * conditional update so that two replicas of the subgraph never add the same endpoint twice.
 */
export class DeploymentWatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PollResult> | undefined;

  constructor(
    private readonly orm: MikroORM,
    private readonly options: DeploymentWatcherOptions,
  ) {}

  /** Starts the periodic poll (unless `pollMs` is 0). */
  start(): void {
    if (this.options.pollMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      // A slow poll is never overlapped by the next one.
      if (this.running) return;
      this.poll().catch((err: unknown) => this.options.logger.warn({ err }, "deployment poll failed"));
    }, this.options.pollMs);
    this.timer.unref();
  }

  /** Stops polling and waits for a poll in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Checks every pending deployment once; concurrent calls share the poll in flight. */
  poll(): Promise<PollResult> {
    this.running ??= this.pollPending().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pollPending(): Promise<PollResult> {
    const em = this.orm.em.fork();
    const pending = await em.find(ModelDeployment, { status: ModelDeploymentStatus.PENDING });
    const result: PollResult = { checked: pending.length, ready: [], failed: [] };
    await Promise.all(
      pending.map(async (deployment) => {
        const outcome = await this.check(deployment);
        if (outcome === ModelDeploymentStatus.READY) result.ready.push(deployment.id);
        if (outcome === ModelDeploymentStatus.FAILED) result.failed.push(deployment.id);
      }),
    );
    return result;
  }

  private async check(deployment: ModelDeployment): Promise<ModelDeploymentStatus> {
    const endpoint = deploymentEndpoint(deployment);
    const now = new Date();
    const probe = await this.probe(endpoint);
    if (!probe.ok) {
      const age = now.getTime() - deployment.createdAt.getTime();
      if (this.options.readyTimeoutMs > 0 && age > this.options.readyTimeoutMs) {
        const minutes = Math.round(this.options.readyTimeoutMs / 60_000);
        await this.settle(deployment.id, ModelDeploymentStatus.FAILED, now, {
          statusMessage: `${endpoint}/models did not answer within ${minutes} min of the deployment's creation: ${probe.error}`,
        });
        return ModelDeploymentStatus.FAILED;
      }
      await this.settle(deployment.id, ModelDeploymentStatus.PENDING, now, { statusMessage: probe.error });
      return ModelDeploymentStatus.PENDING;
    }
    try {
      const claimed = await this.orm.em.fork().transactional(async (tx) => {
        const changed = await this.settle(deployment.id, ModelDeploymentStatus.READY, now, { statusMessage: null }, tx);
        if (changed === 0) return false; // another replica (or a deletion) got there first
        // No weight: a new endpoint gets the default, and one the model already has keeps its own.
        await this.options.addEndpoint(tx, deployment.modelId, { baseUrl: endpoint });
        return true;
      });
      if (!claimed) return ModelDeploymentStatus.PENDING;
      this.options.logger.info({ deploymentId: deployment.id, endpoint }, "deployment is ready");
      return ModelDeploymentStatus.READY;
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.CONFLICT) {
        // The model already has this endpoint (added by hand): that is what the deployment was for.
        await this.settle(deployment.id, ModelDeploymentStatus.READY, now, { statusMessage: err.message });
        return ModelDeploymentStatus.READY;
      }
      if (err instanceof AppError) {
        // The model was deleted, or refuses the endpoint: waiting will not change that.
        await this.settle(deployment.id, ModelDeploymentStatus.FAILED, now, {
          statusMessage: `The endpoint answers, but could not be added to the model: ${err.message}`,
        });
        return ModelDeploymentStatus.FAILED;
      }
      throw err;
    }
  }

  /** Moves a PENDING deployment on; returns how many rows changed (0 when it is no longer PENDING). */
  private settle(
    id: string,
    status: ModelDeploymentStatus,
    checkedAt: Date,
    fields: { statusMessage: string | null },
    em: EntityManager = this.orm.em.fork(),
  ): Promise<number> {
    return em.nativeUpdate(
      ModelDeployment,
      { id, status: ModelDeploymentStatus.PENDING },
      {
        status,
        checkedAt,
        statusMessage: fields.statusMessage,
        updatedAt: checkedAt,
        ...(status === ModelDeploymentStatus.READY ? { readyAt: checkedAt } : {}),
      },
    );
  }

  /** Whether `GET <endpoint>/models` answers with an OpenAI model list within the deadline. */
  private async probe(endpoint: string): Promise<{ ok: true } | { ok: false; error: string }> {
    const url = `${endpoint}/models`;
    try {
      const res = await fetch(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(this.options.checkTimeoutMs),
      });
      if (!res.ok) {
        await res.body?.cancel();
        return { ok: false, error: `${url}: HTTP ${res.status}` };
      }
      const body = (await res.json().catch(() => null)) as { data?: unknown } | null;
      // A server that is up but not vLLM (a proxy's error page, an unrelated service) must not count as ready.
      if (!body || !Array.isArray(body.data)) return { ok: false, error: `${url}: not an OpenAI model list` };
      return { ok: true };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const reason =
        (err as Error).name === "TimeoutError"
          ? `no answer within ${this.options.checkTimeoutMs} ms`
          : `could not connect (${cause ?? (err as Error).message})`;
      return { ok: false, error: `${url}: ${reason}` };
    }
  }
}
