import OpenAI from "openai";
import type { Model } from "../../entities/index.js";
import type { ModelEndpoint } from "../../entities/model-endpoint.js";
import { ModelStatus } from "../../entities/model-endpoint.js";
import { ApiError, fromUpstream } from "../api-error.js";
import { describeUpstreamError } from "../model-service.js";
import type { CallObserver } from "../usage/observer.js";
import { BreakerState, CircuitBreaker } from "./breaker.js";
import { UpstreamTarget } from "@ods/kit";
import { weightedOrder } from "./weighted.js";

/**
 * Why an attempt's signal aborts (it ended, timed out, or its caller went away), made once: `abort()` without a
 * reason builds a DOMException with a stack trace, and every call ends its attempt so.
 */
const ATTEMPT_ENDED = new Error("the attempt has ended");

/**
 * Where an attempt goes: one endpoint of the model, with an SDK client for it (made on first use), its plain HTTP
 * target (the hot path of chat completions) and the attempt's own abort signal.
 */
export interface Attempt {
  endpoint: ModelEndpoint;
  readonly client: OpenAI;
  upstream: UpstreamTarget;
  signal: AbortSignal;
}

/** The outcome of {@link EndpointRouter.call}: the value, the endpoint that gave it, and control over the attempt. */
export interface Routed<T> {
  value: T;
  endpoint: ModelEndpoint;
  /** Aborts the attempt's requests (an open stream, say). */
  abort(): void;
  /** Reports the endpoint's failure after the value came (a stream dropped mid-way): counts for its breaker. */
  failed(): void;
}

export interface RouterOptions {
  /** Loads the endpoints of a model (each call reads them fresh, so changes apply at once). */
  endpoints: (model: Model) => Promise<ModelEndpoint[]>;
  /** Decrypts an endpoint's stored API key. */
  apiKeyOf: (encrypted: string | null | undefined) => string | undefined;
  /** The SDK's own deadline of a request (ms); attempts set shorter ones of their own. */
  upstreamTimeoutMs: number;
  failureThreshold: number;
  cooldownMs: number;
  random?: () => number;
  now?: () => number;
}

/** Why an attempt failed, and whether the next endpoint should be tried. */
interface Failure {
  error: unknown;
  retryable: boolean;
  timedOut: boolean;
}

/**
 * Routes a model's calls over its endpoints: a weighted random choice, failover to the next endpoint on connect
 * errors, 5xx answers and timeouts, and a circuit breaker per endpoint that skips one that keeps failing.
 *
 * @remarks Retrying is safe only until the client got something: {@link call} tries endpoints until `run`
 * resolves (for a stream, `run` resolves with the first chunk), and never again after. Upstream 4xx answers are
 * the caller's to see and are not retried (another endpoint would refuse the same request).
 */
export class EndpointRouter {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly clients = new Map<string, OpenAI>();
  private readonly targets = new Map<string, UpstreamTarget>();

  constructor(private readonly options: RouterOptions) {}

  /** The breaker state of an endpoint in this process (CLOSED for one never called). */
  breakerState(endpointId: string): BreakerState {
    return this.breakers.get(endpointId)?.state ?? BreakerState.CLOSED;
  }

  /** An SDK client for an endpoint; cached per endpoint, base URL and key, so connections are reused. */
  client(endpoint: ModelEndpoint): OpenAI {
    const cacheKey = `${endpoint.id}\n${endpoint.baseUrl}\n${endpoint.apiKeyEncrypted ?? ""}`;
    let client = this.clients.get(cacheKey);
    if (!client) {
      const apiKey = this.options.apiKeyOf(endpoint.apiKeyEncrypted);
      client = new OpenAI({
        baseURL: endpoint.baseUrl,
        // Keyless upstreams (a local vLLM or Ollama) get no Authorization header at all.
        apiKey: apiKey ?? "unused",
        defaultHeaders: apiKey ? undefined : { Authorization: null },
        timeout: this.options.upstreamTimeoutMs,
        maxRetries: 0,
      });
      for (const key of this.clients.keys()) if (key.startsWith(`${endpoint.id}\n`)) this.clients.delete(key);
      this.clients.set(cacheKey, client);
    }
    return client;
  }

  /** The plain HTTP target of an endpoint; cached like {@link client}, so the key is decrypted once. */
  upstream(endpoint: ModelEndpoint): UpstreamTarget {
    const cacheKey = `${endpoint.id}\n${endpoint.baseUrl}\n${endpoint.apiKeyEncrypted ?? ""}`;
    let target = this.targets.get(cacheKey);
    if (!target) {
      target = new UpstreamTarget(endpoint.baseUrl, this.options.apiKeyOf(endpoint.apiKeyEncrypted));
      for (const key of this.targets.keys()) if (key.startsWith(`${endpoint.id}\n`)) this.targets.delete(key);
      this.targets.set(cacheKey, target);
    }
    return target;
  }

  /**
   * Calls `run` on the model's endpoints in weighted order until one succeeds, each attempt limited to
   * `timeoutMs` (connect and first token), and reports each attempt to `observer.onStart`. Throws the last
   * failure in OpenAI's error shape; an aborted `signal` throws the abort as it came.
   */
  async call<T>(
    model: Model,
    run: (attempt: Attempt) => Promise<T>,
    options: { timeoutMs: number; signal?: AbortSignal; observer?: CallObserver },
  ): Promise<Routed<T>> {
    const endpoints = await this.options.endpoints(model);
    if (endpoints.length === 0) {
      throw new ApiError(503, `The model '${model.name}' has no endpoint`, "upstream_error", "upstream_unavailable");
    }
    // Endpoints the last health check found down go last: still tried, but after the healthy ones.
    const down = (e: ModelEndpoint) => e.status === ModelStatus.UNAVAILABLE;
    const order = [
      ...weightedOrder(
        endpoints.filter((e) => !down(e)),
        this.options.random,
      ),
      ...weightedOrder(endpoints.filter(down), this.options.random),
    ];
    let last: Failure | null = null;
    let tried = 0;
    for (const endpoint of order) {
      const breaker = this.breaker(endpoint.id);
      if (!breaker.tryAcquire()) continue;
      tried++;
      options.observer?.onStart({ modelId: model.id, endpoint: endpoint.baseUrl });
      const controller = new AbortController();
      const forward = () => controller.abort(ATTEMPT_ENDED);
      options.signal?.addEventListener("abort", forward, { once: true });
      const clientOf = () => this.client(endpoint);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort(ATTEMPT_ENDED);
      }, options.timeoutMs);
      try {
        const value = await run({
          endpoint,
          get client() {
            return clientOf();
          },
          upstream: this.upstream(endpoint),
          signal: controller.signal,
        });
        clearTimeout(timer);
        breaker.success();
        return {
          value,
          endpoint,
          abort: () => {
            options.signal?.removeEventListener("abort", forward);
            controller.abort(ATTEMPT_ENDED);
          },
          failed: () => breaker.failure(),
        };
      } catch (error) {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", forward);
        controller.abort(ATTEMPT_ENDED);
        if (options.signal?.aborted) {
          breaker.release();
          throw error;
        }
        last = classify(error, timedOut);
        if (!last.retryable) {
          // The endpoint answered (a 4xx): it is healthy, the request is what it refused.
          breaker.success();
          throw fromUpstream(model.name, error, describeUpstreamError);
        }
        breaker.failure();
      }
    }
    if (!last) {
      const retryAt = Math.min(...order.map((e) => this.breaker(e.id).retryAt ?? Date.now()));
      const seconds = Math.max(1, Math.ceil((retryAt - Date.now()) / 1000));
      throw new ApiError(
        503,
        `Every endpoint of the model '${model.name}' is failing (circuit open); retry in ${seconds} s`,
        "upstream_error",
        "upstream_unavailable",
        null,
        { "retry-after": String(seconds) },
      );
    }
    const reason = last.timedOut ? `no answer within ${options.timeoutMs} ms` : describeUpstreamError(last.error);
    const tail = tried > 1 ? ` (tried ${tried} endpoints)` : "";
    throw new ApiError(
      502,
      `The upstream of model '${model.name}' failed: ${reason}${tail}`,
      "upstream_error",
      "upstream_unavailable",
    );
  }

  private breaker(endpointId: string): CircuitBreaker {
    let breaker = this.breakers.get(endpointId);
    if (!breaker) {
      breaker = new CircuitBreaker({
        failureThreshold: this.options.failureThreshold,
        cooldownMs: this.options.cooldownMs,
        now: this.options.now,
      });
      this.breakers.set(endpointId, breaker);
    }
    return breaker;
  }
}

/** Connect errors, timeouts and 5xx are the endpoint's fault and worth another endpoint; other errors are not. */
function classify(error: unknown, timedOut: boolean): Failure {
  if (timedOut) return { error, retryable: true, timedOut };
  if (error instanceof OpenAI.APIUserAbortError) return { error, retryable: true, timedOut };
  if (error instanceof OpenAI.APIConnectionError) return { error, retryable: true, timedOut };
  if (error instanceof OpenAI.APIError) {
    return { error, retryable: error.status === undefined || error.status >= 500, timedOut };
  }
  // Anything else thrown while reading a response (a body cut off, bad JSON) is the endpoint's failure too.
  return { error, retryable: !(error instanceof ApiError), timedOut };
}
