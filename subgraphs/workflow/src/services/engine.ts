import type { MikroORM } from "@mikro-orm/core";
import { serviceCaller, type Caller, type Logger, type PubSub } from "@ods/kit";
import OpenAI from "openai";
import { Execution, ExecutionStatus, NodeRun, NodeRunStatus, type WorkflowNode } from "../entities/index.js";
import { CANCEL_CHANNEL, ExecutionEventType, executionStream, type ExecutionEventData } from "./events.js";
import { topologicalOrder, type WorkflowGraph } from "./graph.js";
import { inputConfig, llmConfig, outputConfig } from "./node-types.js";
import { INPUT_SCOPE, renderTemplate } from "./template.js";

/** Builds an `openai` client for the model API acting for a caller (kit's `createModelClient`). */
export type ModelClientFactory = (caller: Caller) => Promise<OpenAI>;

export interface EngineOptions {
  orm: MikroORM;
  pubsub: PubSub;
  modelClient: ModelClientFactory;
  logger: Logger;
  /** How long an execution's event log is kept after the run ends, in seconds. */
  retentionSeconds: number;
  /**
   * Least time between two NODE_OUTPUT events of one streaming node, in ms.
   * @defaultValue `100` — 0.1 s
   */
  outputIntervalMs?: number;
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

const INTERRUPTED = "Interrupted by a restart of the workflow service";
const CANCELLED = "Cancelled";

/**
 * Runs executions in the background: nodes in topological order, one NodeRun row per node, and an event log
 * (`execution:<id>` in the pub/sub port) with seq 1, 2, 3… that ends with EXECUTION_FINISHED.
 *
 * @remarks The process that starts an execution is the only writer of its log, so it owns the numbering. The
 * database row is written at node boundaries, never per streamed token. Cancellation reaches the running process
 * through a pub/sub channel, so `cancelExecution` works on whichever replica receives it.
 */
export class ExecutionEngine {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly executors: Record<string, NodeExecutor> = {
    input: (node, ctx) => this.runInput(node, ctx),
    llm: (node, ctx) => this.runLlm(node, ctx),
    output: (node, ctx) => this.runOutput(node, ctx),
  };
  private unsubscribeCancel?: () => Promise<void>;

  constructor(private readonly options: EngineOptions) {}

  /** Listens for cancel requests from other replicas. */
  async init(): Promise<void> {
    this.unsubscribeCancel = await this.options.pubsub.subscribe(CANCEL_CHANNEL, (message) => {
      const id = (message as { executionId?: string }).executionId;
      if (id) this.running.get(id)?.controller.abort();
    });
  }

  /** Starts running a stored, PENDING execution of `graph` in the background and returns at once. */
  start(executionId: string, graph: WorkflowGraph, caller: Caller): void {
    const controller = new AbortController();
    const done = this.run(executionId, graph, caller, controller.signal)
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

  /** Resolves when no execution is running in this process. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Cancels what runs here, waits for it to end and stops listening. */
  async close(): Promise<void> {
    for (const { controller } of this.running.values()) controller.abort();
    await this.idle();
    await this.unsubscribeCancel?.();
  }

  /**
   * Marks executions a crashed process left PENDING or RUNNING as FAILED and ends their event logs, so that
   * nobody waits for them forever. Call at startup, before accepting requests.
   * @returns how many executions were marked.
   */
  async recoverInterrupted(): Promise<number> {
    const em = this.options.orm.em.fork();
    const stale = await em.find(Execution, { status: { $in: [ExecutionStatus.PENDING, ExecutionStatus.RUNNING] } });
    for (const execution of stale) {
      if (this.running.has(execution.id)) continue;
      const now = new Date();
      await em.nativeUpdate(
        NodeRun,
        { execution: execution.id, status: NodeRunStatus.RUNNING },
        { status: NodeRunStatus.FAILED, error: INTERRUPTED, finishedAt: now },
      );
      const stream = executionStream(execution.id);
      // The log may have run ahead of the row (it is written per event, the row per node): continue after both.
      const retained = await this.options.pubsub.readAfter(stream, execution.lastSeq).catch(() => []);
      const seq = Math.max(execution.lastSeq, ...retained.map((e) => e.seq)) + 1;
      Object.assign(execution, { status: ExecutionStatus.FAILED, error: INTERRUPTED, finishedAt: now, lastSeq: seq });
      await em.flush();
      await this.finishLog(execution, seq).catch((err: unknown) =>
        this.options.logger.warn({ err, executionId: execution.id }, "could not end the event log"),
      );
    }
    if (stale.length > 0) this.options.logger.warn({ count: stale.length }, "marked interrupted executions FAILED");
    return stale.length;
  }

  private async finishLog(execution: Execution, seq: number): Promise<void> {
    const stream = executionStream(execution.id);
    const event: ExecutionEventData = {
      type: ExecutionEventType.EXECUTION_FINISHED,
      executionId: execution.id,
      status: execution.status,
      output: execution.outputs ?? null,
      error: execution.error ?? null,
    };
    await this.options.pubsub.append(stream, seq, event);
    await this.options.pubsub.expire(stream, this.options.retentionSeconds);
  }

  private async run(executionId: string, graph: WorkflowGraph, caller: Caller, signal: AbortSignal): Promise<void> {
    const { pubsub } = this.options;
    const em = this.options.orm.em.fork();
    const execution = await em.findOneOrFail(Execution, executionId);
    const stream = executionStream(executionId);
    let seq = execution.lastSeq;
    const emit = async (event: Omit<ExecutionEventData, "executionId">) => {
      seq += 1;
      await pubsub.append(stream, seq, { ...event, executionId } satisfies ExecutionEventData);
    };

    try {
      execution.status = ExecutionStatus.RUNNING;
      execution.startedAt = new Date();
      await em.flush();

      const order = topologicalOrder(graph);
      const scope: Record<string, unknown> = { [INPUT_SCOPE]: execution.inputs };
      const outputs: Record<string, unknown> = {};
      let failure: string | undefined;
      let cancelled = false;
      let next = 0;
      for (; next < order.length; next++) {
        if (signal.aborted) {
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
        try {
          const result = await this.executors[node.type]!(node, {
            graph,
            scope,
            caller,
            signal,
            setInputs: (inputs) => (run.inputs = inputs),
            emitOutput: (output) => emit({ ...base, type: ExecutionEventType.NODE_OUTPUT, output }),
          });
          if (signal.aborted) throw new NodeError(CANCELLED);
          scope[node.id] = result;
          run.outputs = result;
          run.status = NodeRunStatus.SUCCEEDED;
          if (node.type === "output") outputs[outputConfig.parse(node.config).name ?? node.id] = result.value;
        } catch (err) {
          run.status = NodeRunStatus.FAILED;
          cancelled = signal.aborted;
          run.error = cancelled ? CANCELLED : describeError(err);
          if (!cancelled) failure = `Node "${node.id}" (${node.type}) failed: ${run.error}`;
        }
        run.finishedAt = new Date();
        run.durationMs = Math.round(performance.now() - started);
        execution.lastSeq = seq + 1;
        await em.flush();
        await emit({
          ...base,
          type: ExecutionEventType.NODE_FINISHED,
          status: run.status,
          output: run.outputs ?? null,
          error: run.error ?? null,
        });
        if (run.status === NodeRunStatus.FAILED) {
          next += 1;
          break;
        }
      }
      for (const [position, node] of order.entries()) {
        if (position < next) continue;
        em.create(NodeRun, {
          execution,
          position,
          nodeId: node.id,
          nodeType: node.type,
          status: NodeRunStatus.SKIPPED,
        });
      }
      execution.status = cancelled
        ? ExecutionStatus.CANCELLED
        : failure
          ? ExecutionStatus.FAILED
          : ExecutionStatus.SUCCEEDED;
      execution.error = cancelled ? CANCELLED : (failure ?? null);
      execution.outputs = outputs;
      execution.finishedAt = new Date();
      execution.lastSeq = seq + 1;
      await em.flush();
      seq += 1;
      await this.finishLog(execution, seq);
    } catch (err) {
      // The database or the event log failed under the run: record the failure wherever still possible.
      this.options.logger.error({ err, executionId }, "execution failed unexpectedly");
      const error = `The run stopped unexpectedly: ${describeError(err)}`;
      const fresh = this.options.orm.em.fork();
      await fresh.nativeUpdate(
        Execution,
        { id: executionId },
        { status: ExecutionStatus.FAILED, error, finishedAt: new Date(), lastSeq: seq + 1 },
      );
      await this.finishLog(
        Object.assign(new Execution(), { id: executionId, status: ExecutionStatus.FAILED, error }),
        seq + 1,
      );
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
    ctx.setInputs({
      modelId: config.modelId,
      prompt,
      ...(systemPrompt !== undefined && { systemPrompt }),
      ...(config.temperature !== undefined && { temperature: config.temperature }),
      ...(config.maxTokens !== undefined && { maxTokens: config.maxTokens }),
    });
    const client = await this.options.modelClient(serviceCaller("workflow", ctx.caller));
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      ...(systemPrompt ? [{ role: "system" as const, content: systemPrompt }] : []),
      { role: "user", content: prompt },
    ];
    const stream = await client.chat.completions.create(
      {
        model: config.modelId,
        messages,
        stream: true,
        stream_options: { include_usage: true },
        ...(config.temperature !== undefined && { temperature: config.temperature }),
        ...(config.maxTokens !== undefined && { max_tokens: config.maxTokens }),
      },
      { signal: ctx.signal },
    );
    const interval = this.options.outputIntervalMs ?? 100;
    let text = "";
    let usage: { promptTokens: number; completionTokens: number } | null = null;
    let emitted = "";
    let lastEmit = 0;
    for await (const chunk of stream) {
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
    if (text !== emitted) await ctx.emitOutput({ text });
    return { text, usage };
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

/** A message for the user from whatever a node threw. */
function describeError(err: unknown): string {
  if (err instanceof OpenAI.APIConnectionError) return `The model API could not be reached (${err.message})`;
  if (err instanceof OpenAI.APIError) return `The model API answered HTTP ${err.status ?? "error"}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
