import type { Caller } from "@ods/kit";
import type { Model, UsageRecord, UsageStatus } from "../../entities/index.js";
import type { Reservation } from "../limits/index.js";
import { countTokens } from "../text.js";
import type { CallEndResult, CallObserver, CallStartInfo } from "./observer.js";

/** What {@link CallTracker} writes: a usage record's data. */
export type UsageData = Omit<UsageRecord, "id">;

/** Observations of one side (the inference service, or the route around it). */
interface Observed {
  endpoint?: string;
  firstTokenAt?: number;
  end?: CallEndResult;
}

/**
 * Follows one model call and writes its usage record when the route finishes it.
 *
 * @remarks Two sides observe a call. The inference service knows what the route cannot see (the endpoint it
 * chose, the upstream's own usage) and reports through the {@link CallObserver} methods; the route sees what is
 * sent to the client and reports the same facts through {@link route}. Whatever the service reported wins and the
 * route's observations only fill the gaps, and {@link finish} writes once, so a call is never counted twice
 * whether the service reports everything, part or nothing. Token counts missing from both fall back to the
 * built-in tokenizer over the prompt and the text sent.
 */
export class CallTracker implements CallObserver {
  private readonly startedAt = performance.now();
  private readonly service: Observed = {};
  private readonly seen: Observed = {};
  private completionText = "";
  private finished = false;

  constructor(
    private readonly call: {
      caller: Caller;
      model: Model;
      operation: string;
      /** The prompt's tokens by the built-in tokenizer: the count when the upstream reports none. */
      promptTokens: number;
      reservation: Reservation;
    },
    private readonly write: (data: UsageData) => void,
  ) {}

  onStart(info: CallStartInfo): void {
    // A failover starts again on another endpoint: the last one is the one that answered (or failed last).
    this.service.endpoint = info.endpoint;
  }

  onFirstToken(): void {
    this.service.firstTokenAt ??= performance.now();
  }

  onText(text: string): void {
    this.completionText += text;
  }

  onEnd(result: CallEndResult): void {
    this.service.end ??= result;
  }

  /** The route's own observations, used only where the service reported nothing. */
  readonly route = {
    firstToken: (): void => {
      this.seen.firstTokenAt ??= performance.now();
    },
    /** Text sent to the client, counted when no usage is reported. */
    text: (text: string): void => {
      this.completionText += text;
    },
    end: (result: CallEndResult): void => {
      this.seen.end ??= result;
    },
  };

  /** Whether the answer's first token has been seen, by either side. */
  get answering(): boolean {
    return this.service.firstTokenAt !== undefined || this.seen.firstTokenAt !== undefined;
  }

  /** Whether the call has been finished (its record queued). */
  get done(): boolean {
    return this.finished;
  }

  /** Settles the limits' reservation and queues the usage record; only the first call does anything. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const end: CallEndResult = this.service.end ?? this.seen.end ?? { status: "error", errorCode: "unknown" };
    const reported = this.service.end?.usage ?? this.seen.end?.usage;
    const firstTokenAt = this.service.firstTokenAt ?? this.seen.firstTokenAt;
    // Without a reported usage, the prompt counts once the model answered anything (a connect error costs none).
    const promptTokens = reported?.promptTokens ?? (firstTokenAt != null ? this.call.promptTokens : 0);
    const completionTokens = reported?.completionTokens ?? countTokens(this.completionText);
    const { model, caller } = this.call;
    const cost =
      (promptTokens / 1000) * (model.pricePer1kPrompt ?? 0) +
      (completionTokens / 1000) * (model.pricePer1kCompletion ?? 0);
    const now = performance.now();
    this.write({
      userId: caller.userId ?? null,
      apiKeyId: caller.apiKeyId ?? null,
      service: caller.service ?? null,
      modelId: model.id,
      modelName: model.name,
      endpoint: this.service.endpoint ?? model.baseUrl ?? "builtin",
      operation: this.call.operation,
      promptTokens,
      completionTokens,
      usageReported: reported != null,
      ttftMs: firstTokenAt != null ? Math.round(firstTokenAt - this.startedAt) : null,
      latencyMs: Math.round(now - this.startedAt),
      status: end.status as UsageStatus,
      errorCode: end.status === "error" ? (end.errorCode ?? "unknown").slice(0, 64) : null,
      cost,
      createdAt: new Date(),
    });
    await this.call.reservation.settle(promptTokens + completionTokens);
  }
}
