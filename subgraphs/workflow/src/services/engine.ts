import type { MikroORM } from "@mikro-orm/core";
import {
  type DatasetReader,
  type DatasetRow,
  AppError,
  ErrorCode,
  serviceCaller,
  type Caller,
  type Logger,
  type PubSub,
} from "@ods/kit";
import OpenAI from "openai";
import {
  ACTIVE_STATUSES,
  Execution,
  ExecutionStatus,
  NodeRun,
  NodeRunStatus,
  type WorkflowNode,
} from "../entities/index.js";
import { toCsv } from "./csv.js";
import { CANCEL_CHANNEL, ExecutionEventType, executionStream, type ExecutionEventData } from "./events.js";
import { topologicalOrder, type WorkflowGraph } from "./graph.js";
import { datasetConfig, inputConfig, llmConfig, outputConfig } from "./node-types.js";
import { INPUT_SCOPE, renderStrings, renderTemplate } from "./template.js";

/** Builds an `openai` client for the model API acting for a caller (kit's `createModelClient`). */
export type ModelClientFactory = (caller: Caller) => Promise<OpenAI>;

export interface EngineOptions {
  orm: MikroORM;
  pubsub: PubSub;
  modelClient: ModelClientFactory;
  /** Reads dataset rows for `dataset` nodes, acting for the user who runs the workflow. */
  datasets: DatasetReader;
  logger: Logger;
  /** How long an execution's event log is kept after the run ends, in seconds. */
  retentionSeconds: number;
  /**
   * True when several replicas share the pub/sub and database (Redis): at startup only runs with a stale
   * heartbeat are recovered, since a fresh one may belong to a live replica. False (embedded profile): this
   * process is the only one, so every unfinished run at startup was left by a crash.
   */
  sharedReplicas: boolean;
  /**
   * Least time between two NODE_OUTPUT events of one streaming node, in ms.
   * @defaultValue `100` — 0.1 s
   */
  outputIntervalMs?: number;
  /**
   * An LLM node whose model sends nothing for this long fails (ms). The `openai` SDK's own timeout stops once
   * the response headers arrive, so a stream that stalls afterwards would otherwise wait forever.
   * @defaultValue `120_000` — 2 min
   */
  modelIdleTimeoutMs?: number;
  /** How often the running process touches its execution's heartbeat (ms). @defaultValue `5_000` — 5 s */
  heartbeatMs?: number;
  /**
   * An unfinished run whose heartbeat is older than this belongs to a process that died (ms); the periodic
   * sweep runs this often too. @defaultValue `30_000` — 30 s
   */
  staleAfterMs?: number;
}

/** What a node executor receives besides the node itself. */
interface NodeContext {
  graph: WorkflowGraph;
  /** `input` → the run's inputs; each node id that has run → its output. */
  scope: Record<string, unknown>;
  caller: Caller;
  signal: AbortSignal;
  /** Records what the node acted on (stored on its NodeRun, also when it then fails). */
  setInputs: (inputs: Record<string, unknown>) => void;
  /** Streams partial output (NODE_OUTPUT). */
  emitOutput: (output: Record<string, unknown>) => Promise<void>;
}

type NodeExecutor = (node: WorkflowNode, ctx: NodeContext) => Promise<Record<string, unknown>>;

/** A failure the run reports as it is: the message is meant for the user. */
class NodeError extends Error {}

/** Thrown inside a run once another replica has ended it: the run stops writing anything. */
class LostRunError extends Error {}

const INTERRUPTED = "Interrupted by a restart of the workflow service";
const CANCELLED = "Cancelled";
/** The abort reason when a sweep ended the run under this process. */
const LOST = "lost";
const FINAL_EVENT_ATTEMPTS = 3;

/** Only a run that has not ended yet may be written: a sweep never overwrites a finished run, nor a run a sweep. */
const unfinished = (id: string) => ({ id, status: { $in: [...ACTIVE_STATUSES] } });

/**
 * Runs executions in the background: nodes in topological order, one NodeRun row per node, and an event log
 * (`execution:<id>` in the pub/sub port) with seq 1, 2, 3… that ends with EXECUTION_FINISHED.
 *
 * @remarks The process that starts an execution is the only writer of its log, so it owns the numbering. The
 * database row is written at node boundaries, never per streamed token, and its heartbeat every `heartbeatMs`.
 * Every write to an execution row is conditional on it being unfinished, and both the owner and a sweep check
 * the affected rows: whoever ends a run first wins, and the owner that lost stops appending events.
 * Cancellation reaches the running process through a pub/sub channel, so `cancelExecution` works on whichever
 * replica receives it.
 */
export class ExecutionEngine {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly executors: Record<string, NodeExecutor> = {
    input: (node, ctx) => this.runInput(node, ctx),
    llm: (node, ctx) => this.runLlm(node, ctx),
    dataset: (node, ctx) => this.runDataset(node, ctx),
    output: (node, ctx) => this.runOutput(node, ctx),
  };
  private unsubscribeCancel?: () => Promise<void>;
  private sweepTimer?: NodeJS.Timeout;
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;

  constructor(private readonly options: EngineOptions) {
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.staleAfterMs = options.staleAfterMs ?? 30_000;
  }

  /**
   * Listens for cancel requests from other replicas, fails the runs a dead process left unfinished (all of them
   * when this process is the only one, else those with a stale heartbeat) and then sweeps for such runs every
   * `staleAfterMs`. Call at startup, before accepting requests.
   */
  async init(): Promise<void> {
    this.unsubscribeCancel = await this.options.pubsub.subscribe(CANCEL_CHANNEL, (message) => {
      const { executionId, interrupted } = message as { executionId?: string; interrupted?: boolean };
      if (executionId) this.running.get(executionId)?.controller.abort(interrupted ? LOST : undefined);
    });
    await this.recoverInterrupted(this.options.sharedReplicas ? this.staleAfterMs : 0);
    this.sweepTimer = setInterval(() => {
      this.recoverInterrupted(this.staleAfterMs).catch((err: unknown) =>
        this.options.logger.warn({ err }, "could not sweep interrupted executions"),
      );
    }, this.staleAfterMs);
    this.sweepTimer.unref();
  }

  /** Starts running a stored, PENDING execution of `graph` in the background and returns at once. */
  start(executionId: string, graph: WorkflowGraph, caller: Caller): void {
    const controller = new AbortController();
    const done = this.run(executionId, graph, caller, controller)
      .catch((err: unknown) => this.options.logger.error({ err, executionId }, "execution crashed"))
      .finally(() => this.running.delete(executionId));
    this.running.set(executionId, { controller, done });
  }

  /**
   * Stops an execution: at once when this process runs it (and waits until it has ended), otherwise by asking
   * the other replicas.
   * @returns whether this process was running it.
   */
  async cancel(executionId: string): Promise<boolean> {
    const local = this.running.get(executionId);
    if (local) {
      local.controller.abort();
      await local.done;
      return true;
    }
    await this.options.pubsub.publish(CANCEL_CHANNEL, { executionId });
    return false;
  }

  /** True while this process runs `executionId`. */
  isRunning(executionId: string): boolean {
    return this.running.has(executionId);
  }

  /** Resolves when no execution is running in this process. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Stops sweeping, cancels what runs here, waits for it to end and stops listening. */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const { controller } of this.running.values()) controller.abort();
    await this.idle();
    await this.unsubscribeCancel?.();
  }

  /**
   * Marks executions a dead process left PENDING or RUNNING as FAILED (their RUNNING node runs too) and ends
   * their event logs, so that nobody waits for them forever. Runs of this process are never touched.
   *
   * @param olderThanMs - only runs whose heartbeat is at least this old (0: every run this process does not run)
   * @returns how many executions were marked.
   */
  async recoverInterrupted(olderThanMs = 0): Promise<number> {
    const em = this.options.orm.em.fork();
    const stale = await em.find(Execution, {
      status: { $in: [...ACTIVE_STATUSES] },
      ...(olderThanMs > 0 ? { heartbeatAt: { $lte: new Date(Date.now() - olderThanMs) } } : {}),
      id: { $nin: [...this.running.keys()] },
    });
    let recovered = 0;
    for (const execution of stale) {
      const now = new Date();
      const stream = executionStream(execution.id);
      // The log may have run ahead of the row (it is written per event, the row per node): continue after both.
      const retained = await this.options.pubsub.readAfter(stream, execution.lastSeq).catch(() => []);
      const seq = Math.max(execution.lastSeq, ...retained.map((e) => e.seq)) + 1;
      // Conditional on the status: a run that ended meanwhile, or that another sweeping replica ended, stays.
      const changed = await em.nativeUpdate(Execution, unfinished(execution.id), {
        status: ExecutionStatus.FAILED,
        error: INTERRUPTED,
        finishedAt: now,
        lastSeq: seq,
      });
      if (changed !== 1) continue;
      recovered++;
      await em.nativeUpdate(
        NodeRun,
        { execution: execution.id, status: NodeRunStatus.RUNNING },
        { status: NodeRunStatus.FAILED, error: INTERRUPTED, finishedAt: now },
      );
      // A replica that still runs it (stalled, not dead) stops at once instead of at its next heartbeat.
      await this.options.pubsub
        .publish(CANCEL_CHANNEL, { executionId: execution.id, interrupted: true })
        .catch(() => undefined);
      await this.finishLog(
        { id: execution.id, status: ExecutionStatus.FAILED, outputs: execution.outputs, error: INTERRUPTED },
        seq,
      );
    }
    if (recovered > 0) this.options.logger.warn({ count: recovered }, "marked interrupted executions FAILED");
    return recovered;
  }

  /** Appends EXECUTION_FINISHED (retrying a few times) and sets the log to expire; logs what still fails. */
  private async finishLog(
    execution: Pick<Execution, "id" | "status" | "outputs" | "error">,
    seq: number,
  ): Promise<void> {
    const stream = executionStream(execution.id);
    const event: ExecutionEventData = {
      type: ExecutionEventType.EXECUTION_FINISHED,
      executionId: execution.id,
      status: execution.status,
      output: execution.outputs ?? null,
      error: execution.error ?? null,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.pubsub.append(stream, seq, event);
        await this.options.pubsub.expire(stream, this.options.retentionSeconds);
        return;
      } catch (err) {
        if (attempt >= FINAL_EVENT_ATTEMPTS) {
          // The row is final, so a follower still ends: it rebuilds this event from the row when the log is quiet.
          this.options.logger.warn({ err, executionId: execution.id }, "could not end the event log");
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  private async run(
    executionId: string,
    graph: WorkflowGraph,
    caller: Caller,
    controller: AbortController,
  ): Promise<void> {
    const { pubsub, orm, logger } = this.options;
    const signal = controller.signal;
    const em = orm.em.fork();
    const execution = await em.findOneOrFail(Execution, executionId);
    const stream = executionStream(executionId);
    let seq = execution.lastSeq;
    let lost = false;
    let finishing = false;
    const lose = () => {
      if (lost) return;
      lost = true;
      controller.abort(LOST);
      logger.warn({ executionId }, "execution was ended by another replica; stopping it here");
    };
    // A sweep on another replica that ended the run asks this one to stop with the same reason.
    signal.addEventListener("abort", () => (lost ||= signal.reason === LOST), { once: true });
    /** A conditional write of the execution row; false (and the run stops) when it has ended elsewhere. */
    const update = async (data: Partial<Execution>): Promise<boolean> => {
      if (lost) return false;
      const changed = await orm.em.fork().nativeUpdate(Execution, unfinished(executionId), {
        ...data,
        heartbeatAt: new Date(),
      });
      if (changed !== 1 && !finishing) lose();
      return changed === 1;
    };
    const emit = async (event: Omit<ExecutionEventData, "executionId">) => {
      if (lost) throw new LostRunError();
      seq += 1;
      await pubsub.append(stream, seq, { ...event, executionId } satisfies ExecutionEventData);
    };
    const heartbeat = setInterval(() => {
      if (finishing) return;
      update({}).catch((err: unknown) => logger.warn({ err, executionId }, "could not touch the heartbeat"));
    }, this.heartbeatMs);
    heartbeat.unref();

    try {
      if (!(await update({ status: ExecutionStatus.RUNNING, startedAt: new Date() }))) return;

      const order = topologicalOrder(graph);
      const scope: Record<string, unknown> = { [INPUT_SCOPE]: execution.inputs };
      const outputs: Record<string, unknown> = {};
      let failure: string | undefined;
      let cancelled = false;
      let next = 0;
      for (; next < order.length; next++) {
        if (signal.aborted) {
          if (lost) throw new LostRunError();
          cancelled = true;
          break;
        }
        const node = order[next]!;
        const run = em.create(NodeRun, {
          execution,
          position: next,
          nodeId: node.id,
          nodeType: node.type,
          status: NodeRunStatus.RUNNING,
          startedAt: new Date(),
        });
        await em.flush();
        const base = { nodeId: node.id, nodeType: node.type };
        await emit({ ...base, type: ExecutionEventType.NODE_STARTED, status: NodeRunStatus.RUNNING });
        const started = performance.now();
        let inputs: Record<string, unknown> = {};
        let result: Record<string, unknown> | null = null;
        let error: string | null = null;
        try {
          result = await this.executors[node.type]!(node, {
            graph,
            scope,
            caller,
            signal,
            setInputs: (value) => (inputs = value),
            emitOutput: (output) => emit({ ...base, type: ExecutionEventType.NODE_OUTPUT, output }),
          });
          if (signal.aborted) throw new NodeError(CANCELLED);
          scope[node.id] = result;
          if (node.type === "output") outputs[outputConfig.parse(node.config).name ?? node.id] = result.value;
        } catch (err) {
          if (lost) throw new LostRunError();
          result = null;
          cancelled = signal.aborted;
          error = cancelled ? CANCELLED : describeError(err);
          if (!cancelled) failure = `Node "${node.id}" (${node.type}) failed: ${error}`;
        }
        const status = error === null ? NodeRunStatus.SUCCEEDED : NodeRunStatus.FAILED;
        // Conditional on the node run still RUNNING: a sweep that failed the run failed it too.
        const finished = await em.nativeUpdate(
          NodeRun,
          { id: run.id, status: NodeRunStatus.RUNNING },
          {
            status,
            inputs,
            outputs: result,
            error,
            finishedAt: new Date(),
            durationMs: Math.round(performance.now() - started),
          },
        );
        if (finished !== 1) lose();
        if (!(await update({ lastSeq: seq + 1 }))) throw new LostRunError();
        await emit({ ...base, type: ExecutionEventType.NODE_FINISHED, status, output: result, error });
        if (status === NodeRunStatus.FAILED) {
          next += 1;
          break;
        }
      }
      const final = {
        id: executionId,
        status: cancelled ? ExecutionStatus.CANCELLED : failure ? ExecutionStatus.FAILED : ExecutionStatus.SUCCEEDED,
        error: cancelled ? CANCELLED : (failure ?? null),
        outputs,
      };
      finishing = true;
      clearInterval(heartbeat);
      // The end of the run and its skipped nodes are written together, and only if no sweep ended it first.
      const ended = await orm.em.fork().transactional(async (tx) => {
        const changed = await tx.nativeUpdate(Execution, unfinished(executionId), {
          status: final.status,
          error: final.error,
          outputs,
          finishedAt: new Date(),
          lastSeq: seq + 1,
          heartbeatAt: new Date(),
        });
        if (changed !== 1) return false;
        for (const [position, node] of order.entries()) {
          if (position < next) continue;
          tx.create(NodeRun, {
            execution: tx.getReference(Execution, executionId),
            position,
            nodeId: node.id,
            nodeType: node.type,
            status: NodeRunStatus.SKIPPED,
          });
        }
        await tx.flush();
        return true;
      });
      if (!ended) throw new LostRunError();
      seq += 1;
      await this.finishLog(final, seq);
    } catch (err) {
      if (lost || err instanceof LostRunError) {
        lost = true;
        return;
      }
      // The database or the event log failed under the run: record the failure wherever still possible.
      logger.error({ err, executionId }, "execution failed unexpectedly");
      finishing = true;
      const error = `The run stopped unexpectedly: ${describeError(err)}`;
      try {
        const fresh = orm.em.fork();
        const changed = await fresh.nativeUpdate(Execution, unfinished(executionId), {
          status: ExecutionStatus.FAILED,
          error,
          finishedAt: new Date(),
          lastSeq: seq + 1,
        });
        if (changed !== 1) return;
        await fresh.nativeUpdate(
          NodeRun,
          { execution: executionId, status: NodeRunStatus.RUNNING },
          { status: NodeRunStatus.FAILED, error, finishedAt: new Date() },
        );
      } catch (dbErr) {
        logger.error({ err: dbErr, executionId }, "could not record the failure; a sweep will end the run");
        return;
      }
      await this.finishLog({ id: executionId, status: ExecutionStatus.FAILED, outputs: null, error }, seq + 1);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async runInput(node: WorkflowNode, ctx: NodeContext): Promise<Record<string, unknown>> {
    const config = inputConfig.parse(node.config);
    const inputs = ctx.scope[INPUT_SCOPE] as Record<string, unknown>;
    ctx.setInputs(inputs);
    const missing = (config.fields ?? []).filter((f) => inputs[f] === undefined || inputs[f] === null);
    if (missing.length > 0) {
      throw new NodeError(
        `Missing required input${missing.length > 1 ? "s" : ""}: ${missing.join(", ")} (pass them in runWorkflow's inputs)`,
      );
    }
    return inputs;
  }

  private async runLlm(node: WorkflowNode, ctx: NodeContext): Promise<Record<string, unknown>> {
    const config = llmConfig.parse(node.config);
    const prompt = renderTemplate(config.prompt, ctx.scope);
    const systemPrompt = config.systemPrompt === undefined ? undefined : renderTemplate(config.systemPrompt, ctx.scope);
    const promptTemplate = config.promptTemplate && {
      ...config.promptTemplate,
      ...(config.promptTemplate.variables && {
        variables: renderStrings(config.promptTemplate.variables, ctx.scope) as Record<string, unknown>,
      }),
    };
    ctx.setInputs({
      modelId: config.modelId,
      prompt,
      ...(systemPrompt !== undefined && { systemPrompt }),
      ...(promptTemplate && { promptTemplate }),
      ...(config.temperature !== undefined && { temperature: config.temperature }),
      ...(config.maxTokens !== undefined && { maxTokens: config.maxTokens }),
    });
    const client = await this.options.modelClient(serviceCaller("workflow", ctx.caller));
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      ...(systemPrompt ? [{ role: "system" as const, content: systemPrompt }] : []),
      { role: "user", content: prompt },
    ];
    // The node's own abort: the run's signal, or the model going quiet for too long.
    const idleMs = this.options.modelIdleTimeoutMs ?? 120_000;
    const call = new AbortController();
    const forward = () => call.abort();
    ctx.signal.addEventListener("abort", forward, { once: true });
    let idle = false;
    let timer: NodeJS.Timeout | undefined;
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        call.abort();
      }, idleMs);
    };
    const stalled = () =>
      new NodeError(`The model sent nothing for ${idleMs / 1000} s (ODS_MODEL_IDLE_TIMEOUT_MS); gave up waiting`);
    const interval = this.options.outputIntervalMs ?? 100;
    let text = "";
    let usage: { promptTokens: number; completionTokens: number } | null = null;
    let emitted = "";
    let lastEmit = 0;
    try {
      watch();
      const request: OpenAI.Chat.ChatCompletionCreateParamsStreaming = {
        model: config.modelId,
        messages,
        stream: true,
        stream_options: { include_usage: true },
        ...(config.temperature !== undefined && { temperature: config.temperature }),
        ...(config.maxTokens !== undefined && { max_tokens: config.maxTokens }),
      };
      // `prompt_template` is the model API's extension: it renders the template as the first system message.
      // The SDK passes the unknown field through as it is.
      const stream = await client.chat.completions.create(
        (promptTemplate
          ? { ...request, prompt_template: promptTemplate }
          : request) as OpenAI.Chat.ChatCompletionCreateParamsStreaming,
        { signal: call.signal },
      );
      for await (const chunk of stream) {
        watch();
        text += chunk.choices[0]?.delta?.content ?? "";
        if (chunk.usage) {
          usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
        }
        // Batches of deltas, not one event per token: a client redraws a few times a second at most.
        if (text !== emitted && Date.now() - lastEmit >= interval) {
          await ctx.emitOutput({ text });
          emitted = text;
          lastEmit = Date.now();
        }
      }
    } catch (err) {
      throw idle ? stalled() : err;
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", forward);
    }
    // The SDK may end the iteration quietly when its request is aborted.
    if (idle) throw stalled();
    if (text !== emitted) await ctx.emitOutput({ text });
    return { text, usage };
  }

  /**
   * Reads the first `limit` rows of a dataset through the dataset subgraph as the run's user, then stops the
   * stream: one row past the limit tells whether the dataset has more (`truncated`).
   */
  private async runDataset(node: WorkflowNode, ctx: NodeContext): Promise<Record<string, unknown>> {
    const config = datasetConfig.parse(node.config);
    const datasetId = renderTemplate(config.datasetId, ctx.scope).trim();
    ctx.setInputs({
      datasetId,
      ...(config.version !== undefined && { version: config.version }),
      limit: config.limit,
      ...(config.columns && { columns: config.columns }),
    });
    if (!datasetId) throw new NodeError(`datasetId "${config.datasetId}" is empty once its placeholders are filled`);
    let rows: DatasetRow[] = [];
    let truncated = false;
    try {
      const stream = this.options.datasets.rows(datasetId, serviceCaller("workflow", ctx.caller), {
        version: config.version,
        signal: ctx.signal,
      });
      for await (const row of stream) {
        if (rows.length === config.limit) {
          // Leaving the loop closes the response: the rest of the dataset is never read.
          truncated = true;
          break;
        }
        rows.push(row);
      }
    } catch (err) {
      if (ctx.signal.aborted || !(err instanceof AppError)) throw err;
      throw new NodeError(datasetFailure(err, datasetId, config.version));
    }
    const present = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    let columns = present;
    if (config.columns) {
      const missing = rows.length > 0 ? config.columns.filter((c) => !present.includes(c)) : [];
      if (missing.length > 0) {
        throw new NodeError(
          `Dataset ${datasetId} has no column${missing.length > 1 ? "s" : ""} ${missing.map((c) => `"${c}"`).join(", ")} ` +
            `(its columns: ${present.join(", ")})`,
        );
      }
      columns = config.columns;
      rows = rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c] ?? null])));
    }
    return { rows, rowCount: rows.length, columns, truncated, text: toCsv(columns, rows) };
  }

  private async runOutput(node: WorkflowNode, ctx: NodeContext): Promise<Record<string, unknown>> {
    const config = outputConfig.parse(node.config);
    if (config.value !== undefined) {
      ctx.setInputs({ template: config.value });
      return { value: renderTemplate(config.value, ctx.scope) };
    }
    const parent = ctx.graph.edges.find((e) => e.target === node.id)!.source;
    const upstream = ctx.scope[parent] as Record<string, unknown>;
    ctx.setInputs({ from: parent });
    // The upstream's text when it has one (an LLM node); otherwise its whole output (e.g. the input node).
    return { value: typeof upstream.text === "string" ? upstream.text : upstream };
  }
}

/** A dataset node's failure message from the dataset subgraph's error. */
function datasetFailure(err: AppError, datasetId: string, version: number | undefined): string {
  const which = version === undefined ? `Dataset ${datasetId}` : `Version ${version} of dataset ${datasetId}`;
  switch (err.code) {
    case ErrorCode.NOT_FOUND:
      // The dataset subgraph answers NOT_FOUND for a dataset the runner may not see, too.
      return err.message.includes(datasetId)
        ? `${err.message} (or you cannot read it)`
        : `${which} was not found, or you cannot read it (${err.message})`;
    case ErrorCode.UPSTREAM_UNAVAILABLE:
      return `${which} could not be read: ${err.message}`;
    default:
      return `${which} could not be read (${err.code}): ${err.message}`;
  }
}

/** A message for the user from whatever a node threw. */
function describeError(err: unknown): string {
  if (err instanceof OpenAI.APIConnectionError) return `The model API could not be reached (${err.message})`;
  if (err instanceof OpenAI.APIError) return `The model API answered HTTP ${err.status ?? "error"}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
