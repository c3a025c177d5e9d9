import type { EntityManager, MikroORM } from "@mikro-orm/core";
import {
  AppError,
  followStream,
  notFound,
  quickFind,
  quickUpdate,
  serviceCaller,
  traceMark,
  type Caller,
  type ChatStreamer,
  type LogEntry,
  type Logger,
  type PubSub,
} from "@ods/kit";
import { APIConnectionError, APIError } from "openai";
import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { Conversation, Message, MessageStatus, type CitationData, type GenerationParams } from "../entities/index.js";
import { buildPrompt } from "./prompt.js";
import { isTerminal, messageStream, STOP_CHANNEL, type StreamEvent } from "./stream-events.js";

/**
 * One event of `messageStream` as the subscriber receives it: terminal events carry the stored message, and a
 * heartbeat repeats the last `seq` sent (it is not in the log).
 */
export type StreamItem =
  | { kind: "heartbeat"; seq: number }
  | { kind: "citations"; seq: number; citations: CitationData[] }
  | { kind: "token"; seq: number; delta: string }
  | { kind: "done"; seq: number; message: Message }
  | { kind: "failed"; seq: number; code: string; reason: string; message: Message };

/** What {@link GenerationOptions.augment} is given: the reply's conversation and question. */
export interface AugmentInput {
  /**
   * The reply's conversation's retrieval settings. `knowledgeBaseIds` is the set this reply uses: the
   * conversation's own, or the ones `sendMessage` passed for this reply alone (the row is not changed).
   */
  conversation: Pick<Conversation, "id" | "knowledgeBaseIds" | "retrieval">;
  /** The user's message the reply answers. */
  question: string;
  /** Who asked (the conversation's owner). */
  caller: Caller;
  /** Aborted when the reply is stopped or the process shuts down. */
  signal: AbortSignal;
}

/** What retrieval adds to a reply: text for the prompt, and the sources it came from. */
export interface Augmentation {
  context: string;
  citations: CitationData[];
}

export interface GenerationOptions {
  orm: MikroORM;
  pubsub: PubSub;
  /** `createChatStreamer(...)` from kit: every call goes through the model subgraph's `/v1` API. */
  chatStream: ChatStreamer;
  logger: Logger;
  /** Approximate token budget of a prompt, reply included. */
  contextTokens: number;
  /**
   * Deltas after the first are gathered this long into one event (ms). The model API does the gathering
   * (`stream_options.batch_ms`), so each read of its stream is one event; 0 sends every read as it comes.
   */
  batchMs: number;
  /** A finished message's log stays replayable this long (s). */
  retentionSeconds: number;
  /** How often the database row is brought up to date while generating (ms). @defaultValue `1_000` — 1 s */
  flushMs?: number;
  /**
   * A STREAMING row that has not moved for this long belongs to a process that died (ms); the running replica
   * touches it every `flushMs`. @defaultValue `30_000` — 30 s
   */
  staleAfterMs?: number;
  /**
   * True when several replicas share the pub/sub and database (Redis): at startup only stale rows are
   * recovered, since a fresh one may belong to a live replica. False (embedded profile): this process is the
   * only one, so every STREAMING row at startup was left by a crash.
   */
  sharedReplicas: boolean;
  /**
   * The model request is aborted when nothing has arrived for this long (ms), before the answer starts or in the
   * middle of it, so a model that stalls never leaves a reply hanging. @defaultValue `120_000`
   */
  idleTimeoutMs?: number;
  /**
   * A live subscriber that has been sent nothing for this long gets a `MessageHeartbeat` (ms), so that proxies
   * and clients can tell a slow model from a dead connection. @defaultValue `15_000` — 15 s
   */
  heartbeatMs?: number;
  /**
   * Retrieval (RAG), run before the model is called. Null: no context for this reply. A result puts `context`
   * into the prompt as a system message after the conversation's system prompt, appends a `citations` event to
   * the log before the first token, and stores the citations on the message.
   *
   * @remarks When it throws, the reply fails and the model is not called: an {@link AppError} keeps its code and
   * message (NOT_FOUND for a missing knowledge base, say), anything else becomes UPSTREAM_UNAVAILABLE and is
   * logged whole. An answer that silently lacks the sources the user chose would look grounded when it is not.
   */
  augment?: (input: AugmentInput) => Promise<Augmentation | null>;
}

/** A reply to generate: {@link GenerationService.generate}. */
export interface GenerationJob {
  messageId: string;
  caller: Caller;
  params: GenerationParams;
  /** Knowledge bases for this reply only, instead of the conversation's. */
  knowledgeBaseIds?: string[];
  /**
   * What the request that stored the reply knows already (its conversation's settings and its question), so the
   * reply does not read them back before calling the model. Without it they are read from the database.
   */
  source?: ReplySource;
  /**
   * Settles when the request that stores the reply's row has committed (resolves) or failed (rejects). The reply
   * may start before, so that the model request overlaps the writes, but appends and writes nothing until then;
   * when it rejects, the model request is aborted and the reply ends without a trace. Omitted: already stored.
   */
  stored?: Promise<void>;
}

/** What a reply is made from, besides the turns before its question. */
export interface ReplySource {
  conversationId: string;
  /** The reply's model (its own, else the conversation's). */
  modelId: string;
  systemPrompt: string | null;
  promptTemplate: Conversation["promptTemplate"];
  knowledgeBaseIds: string[];
  retrieval: Conversation["retrieval"];
  /** The user's message the reply answers (the reply's parent). */
  question: Pick<Message, "id" | "parentId" | "position" | "content">;
  /** The turns before the question, oldest first, when the request read them already. */
  earlier?: Message[];
}

interface Running {
  controller: AbortController;
  finished: Promise<void>;
}

const STOP = "stop";
const SHUTDOWN = "shutdown";
const IDLE = "idle";
const NOT_STORED = "not stored";

/**
 * Runs replies: prompt assembly, the streaming call to the model API, the message's event log, the stored row,
 * stop requests from any replica, and recovery of replies a dead process left behind.
 *
 * @remarks The log gets one event per batch of deltas (every `batchMs`), the row one write per `flushMs` and one
 * at the end, never one per token. The row is final before the terminal event is appended, so whoever sees
 * the terminal event (or finds no log and a finished row) reads the whole stored text.
 */
export class GenerationService {
  private readonly running = new Map<string, Running>();
  private unsubscribeStop?: () => Promise<void>;
  private sweepTimer?: NodeJS.Timeout;
  private readonly flushMs: number;
  private readonly staleAfterMs: number;
  private readonly idleTimeoutMs: number;
  private readonly heartbeatMs: number;

  constructor(private readonly options: GenerationOptions) {
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.flushMs = options.flushMs ?? 1_000;
    this.staleAfterMs = options.staleAfterMs ?? 30_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  }

  /** Listens for stop requests and recovers replies left STREAMING by a process that is gone. */
  async start(): Promise<void> {
    this.unsubscribeStop = await this.options.pubsub.subscribe(STOP_CHANNEL, (message) => {
      const id = (message as { messageId?: unknown } | null)?.messageId;
      if (typeof id === "string") this.running.get(id)?.controller.abort(STOP);
    });
    await this.recoverInterrupted(this.options.sharedReplicas ? this.staleAfterMs : 0);
    this.sweepTimer = setInterval(() => {
      this.recoverInterrupted(this.staleAfterMs).catch((err: unknown) =>
        this.options.logger.warn({ err }, "could not sweep interrupted replies"),
      );
    }, this.staleAfterMs);
    this.sweepTimer.unref();
  }

  /** Ends every running reply as FAILED ("interrupted by a shutdown"), keeping its text, and stops listening. */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    const running = [...this.running.values()];
    for (const r of running) r.controller.abort(SHUTDOWN);
    await Promise.allSettled(running.map((r) => r.finished));
    await this.unsubscribeStop?.();
  }

  /**
   * Starts generating the reply `messageId` (an assistant message in status STREAMING) in the background.
   * A client that disconnects does not stop it; only {@link GenerationService.stop} or the end of the reply does.
   *
   * @returns a promise that resolves once the model request has been written to its connection, or the reply
   * went to retrieval first (which waits on I/O of its own), or ended: a caller with synchronous work to do (a
   * SQLite transaction) awaits it first, so that the request does not wait for that work.
   */
  generate(job: GenerationJob): Promise<void> {
    const controller = new AbortController();
    job.stored?.catch(() => controller.abort(NOT_STORED));
    const requested = settlement();
    const finished = this.run(job, controller.signal, requested.resolve)
      .catch((err: unknown) => this.options.logger.error({ err, messageId: job.messageId }, "generation crashed"))
      .finally(() => {
        requested.resolve();
        this.running.delete(job.messageId);
      });
    this.running.set(job.messageId, { controller, finished });
    return requested.promise;
  }

  /** True while this replica runs `messageId` (used by tests and by shutdown). */
  isRunning(messageId: string): boolean {
    return this.running.has(messageId);
  }

  /**
   * Stops the reply `messageId` on whichever replica runs it and returns the stored message once it has ended
   * (status STOPPED, partial text kept). A message that is not STREAMING is returned unchanged.
   */
  async stop(em: EntityManager, caller: Caller, messageId: string): Promise<Message> {
    const message = await findOwnedMessage(em, caller, messageId);
    if (!message) throw notFound("Message", messageId);
    if (message.status !== MessageStatus.STREAMING) return message;
    await this.options.pubsub.publish(STOP_CHANNEL, { messageId });
    // The replica that runs it writes the final row before anything else; wait for that, within a deadline.
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const current = await this.options.orm.em.fork().findOne(Message, { id: messageId });
      if (!current || current.status !== MessageStatus.STREAMING) return current ?? message;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return message;
  }

  /**
   * The events of `messageId`'s stream after `afterSeq`: the retained past, then live ones, ending with the
   * terminal event. When the log holds nothing newer and the reply has ended (log expired, or written by a
   * process whose log is gone), one terminal event carries the stored message, with `seq = lastSeq`. When the
   * log goes quiet and the row has ended without its terminal event reaching the log (the final append failed,
   * or the writer died and a sweep ended the row), the same terminal event built from the row ends the stream.
   * Whenever nothing has been yielded for `heartbeatMs`, a heartbeat repeating the last `seq` is.
   */
  async *follow(messageId: string, afterSeq: number, signal?: AbortSignal): AsyncGenerator<StreamItem> {
    const events = this.followLog(messageId, afterSeq, signal);
    let lastSeq = afterSeq;
    let next = events.next();
    // One timer for the whole stream, refreshed whenever something is sent (not a new timer per event). When it
    // fires while the subscriber has not asked for more, the heartbeat goes out at its next request.
    let waiting: ((value: "quiet") => void) | undefined;
    let quietMeanwhile = false;
    const timer = setTimeout(() => {
      if (waiting) waiting("quiet");
      else quietMeanwhile = true;
    }, this.heartbeatMs);
    try {
      for (;;) {
        const result = quietMeanwhile
          ? "quiet"
          : await new Promise<IteratorResult<StreamItem> | "quiet">((resolve, reject) => {
              waiting = resolve;
              next.then(resolve, reject);
            });
        waiting = undefined;
        if (result === "quiet") {
          // The pending read stays where it is; the heartbeat only fills the silence.
          quietMeanwhile = false;
          timer.refresh();
          yield { kind: "heartbeat", seq: lastSeq };
          continue;
        }
        if (result.done) return;
        lastSeq = result.value.seq;
        timer.refresh();
        yield result.value;
        next = events.next();
      }
    } finally {
      clearTimeout(timer);
      await events.return(undefined);
    }
  }

  /** {@link GenerationService.follow} without heartbeats. */
  private async *followLog(messageId: string, afterSeq: number, signal?: AbortSignal): AsyncGenerator<StreamItem> {
    const stream = messageStream(messageId);
    const retained = await this.options.pubsub.readAfter(stream, afterSeq);
    // A reply this replica is generating is STREAMING and will end its log: no need to read its row first.
    if (retained.length === 0 && !this.running.has(messageId)) {
      const stored = await this.options.orm.em.fork().findOne(Message, { id: messageId });
      if (!stored) return;
      if (stored.status !== MessageStatus.STREAMING) {
        yield terminalFromRow(stored);
        return;
      }
    }
    const onQuiet = async (lastSeq: number): Promise<LogEntry | undefined> => {
      const current = await this.options.orm.em.fork().findOne(Message, { id: messageId });
      // Deleted with its conversation: a terminal event whose message is missing ends the stream below.
      if (!current) return { seq: lastSeq + 1, event: { kind: "done", messageId } satisfies StreamEvent };
      if (current.status === MessageStatus.STREAMING) return undefined;
      // The row's seq, as late subscribers get it; followStream raises it past `lastSeq` if the log went further.
      return { seq: current.lastSeq, event: terminalEvent(current) };
    };
    for await (const entry of followStream(this.options.pubsub, stream, { afterSeq, isTerminal, signal, onQuiet })) {
      const event = entry.event as StreamEvent;
      if (event.kind === "token") {
        yield { kind: "token", seq: entry.seq, delta: event.delta };
        continue;
      }
      if (event.kind === "citations") {
        yield { kind: "citations", seq: entry.seq, citations: event.citations };
        continue;
      }
      // A fresh unit of work: the row was written by another request (or replica) after ours began.
      const [message] = await quickFind(this.options.orm.em.fork(), Message, (q) => q.where({ id: event.messageId }));
      if (!message) return; // deleted with its conversation while it streamed
      yield event.kind === "done"
        ? { kind: "done", seq: entry.seq, message }
        : { kind: "failed", seq: entry.seq, code: event.code, reason: event.reason, message };
      return;
    }
  }

  /**
   * Ends replies left STREAMING by a process that died: FAILED with "interrupted by a restart", text kept, and a
   * terminal event appended to their log so that anyone following it stops waiting.
   *
   * @param olderThanMs - only rows untouched for this long (0: every row this replica does not run)
   */
  async recoverInterrupted(olderThanMs: number): Promise<number> {
    const em = this.options.orm.em.fork();
    const cutoff = new Date(Date.now() - olderThanMs);
    const stale = await em.find(Message, {
      status: MessageStatus.STREAMING,
      ...(olderThanMs > 0 ? { updatedAt: { $lte: cutoff } } : {}),
      id: { $nin: [...this.running.keys()] },
    });
    let recovered = 0;
    for (const message of stale) {
      const stream = messageStream(message.id);
      const logged = await this.options.pubsub.readAfter(stream, message.lastSeq).catch(() => []);
      const seq = Math.max(message.lastSeq, ...logged.map((e) => e.seq)) + 1;
      const reason = "interrupted by a restart";
      // Conditional on the status, so that two replicas sweeping at once end each reply once.
      const changed = await em.nativeUpdate(
        Message,
        { id: message.id, status: MessageStatus.STREAMING },
        {
          status: MessageStatus.FAILED,
          errorCode: "INTERRUPTED",
          errorReason: reason,
          lastSeq: seq,
          updatedAt: new Date(),
        },
      );
      if (changed !== 1) continue;
      recovered++;
      const event: StreamEvent = { kind: "failed", messageId: message.id, code: "INTERRUPTED", reason };
      await this.options.pubsub.append(stream, seq, event).catch(() => undefined);
      await this.options.pubsub.expire(stream, this.options.retentionSeconds).catch(() => undefined);
    }
    if (recovered > 0) this.options.logger.warn({ recovered }, "marked interrupted replies as FAILED");
    return recovered;
  }

  /** Runs the augment hook; a failure becomes an {@link AugmentFailure} that fails the reply (see the option). */
  private async augment(input: AugmentInput): Promise<Augmentation | null> {
    try {
      return await this.options.augment!(input);
    } catch (err) {
      if (input.signal.aborted) throw input.signal.reason;
      if (err instanceof AppError) throw new AugmentFailure(err.code, err.message);
      this.options.logger.warn({ err, conversationId: input.conversation.id }, "retrieval failed");
      throw new AugmentFailure("UPSTREAM_UNAVAILABLE", "Retrieval from the knowledge bases failed");
    }
  }

  private async run(job: GenerationJob, signal: AbortSignal, requested: () => void) {
    const { orm, pubsub, logger } = this.options;
    const stream = messageStream(job.messageId);
    const startedAt = Date.now();
    let seq = 0;
    let text = "";
    let pending = "";
    let ttftMs: number | null = null;
    let usage: Message["usage"] = null;
    let citations: CitationData[] = [];
    // Whether the reply's row was stored: nothing is appended or written before, nor anything at all if not.
    const stored = job.stored
      ? job.stored.then(
          () => true,
          () => false,
        )
      : Promise.resolve(true);
    let appends = Promise.resolve();
    let writes = Promise.resolve();
    let batchTimer: NodeJS.Timeout | undefined;
    // When the last token event was appended: the next one waits until `batchMs` after it.
    let lastEventAt = 0;

    // `seq` is taken when the event is made and appends are chained, so order is kept.
    const append = (event: StreamEvent) => {
      const eventSeq = ++seq;
      appends = appends
        .then(async () => {
          if (await stored) await pubsub.append(stream, eventSeq, event);
        })
        .catch((err: unknown) => logger.warn({ err, messageId: job.messageId }, "could not append to the stream log"));
    };
    // One event per batch of deltas.
    const closeBatch = () => {
      clearTimeout(batchTimer);
      batchTimer = undefined;
      lastEventAt = performance.now();
      if (!pending) return;
      const delta = pending;
      pending = "";
      append({ kind: "token", delta });
    };
    // The row follows the log: content and lastSeq describe the same batches. Writing also shows liveness.
    const writeProgress = () => {
      const content = text.slice(0, text.length - pending.length);
      const lastSeq = seq;
      const cited = citations;
      writes = writes
        .then(async () => {
          if (!(await stored)) return;
          await quickUpdate(
            orm.em.fork(),
            Message,
            { id: job.messageId, status: MessageStatus.STREAMING },
            { content, lastSeq, citations: cited, updatedAt: new Date() },
          );
        })
        .catch((err: unknown) => logger.warn({ err, messageId: job.messageId }, "could not save progress"));
    };
    const progressTimer = setInterval(writeProgress, this.flushMs);

    // Aborts the model request, and only it, when the stream stalls; `signal` stays for stop and shutdown.
    const idle = new AbortController();
    const upstream = AbortSignal.any([signal, idle.signal]);
    let idleTimer: NodeJS.Timeout | undefined;
    // Re-armed on every chunk: refreshing the one timer costs far less than a new one per token.
    const armIdle = () => {
      if (idleTimer) idleTimer.refresh();
      else idleTimer = setTimeout(() => idle.abort(IDLE), this.idleTimeoutMs);
    };

    let status = MessageStatus.COMPLETE;
    let failure: { code: string; reason: string } | undefined;
    try {
      const em = orm.em.fork();
      const { source, earlier } = await readSource(em, job);
      const question = source.question.content;
      let context: string | null = null;
      const knowledgeBaseIds = job.knowledgeBaseIds ?? source.knowledgeBaseIds;
      if (knowledgeBaseIds.length > 0) requested();
      if (this.options.augment) {
        const found = await this.augment({
          conversation: {
            id: source.conversationId,
            knowledgeBaseIds,
            retrieval: source.retrieval,
          },
          question,
          caller: job.caller,
          signal,
        });
        if (signal.aborted) throw signal.reason;
        if (found) {
          context = found.context;
          citations = found.citations;
          // Before the first token: a client can show the sources while the answer is written.
          append({ kind: "citations", citations });
        }
      }
      // The reply needs room too; reserve what was asked for, at most half of the context.
      const reserve = Math.min(job.params.maxTokens ?? 0, Math.floor(this.options.contextTokens / 2));
      const messages = buildPrompt(
        { systemPrompt: source.systemPrompt, context, history: earlier, userMessage: question },
        this.options.contextTokens - reserve,
      );
      armIdle();
      const request: ChatCompletionCreateParamsStreaming = {
        model: source.modelId,
        messages,
        stream: true,
        // `batch_ms` (the model API's extension): deltas after the first come gathered, one write per batch, so
        // neither the model subgraph nor this one pays a socket write and read for every token.
        stream_options: {
          include_usage: true,
          ...(this.options.batchMs > 0 ? { batch_ms: this.options.batchMs } : {}),
        },
        ...(job.params.temperature !== undefined ? { temperature: job.params.temperature } : {}),
        ...(job.params.maxTokens !== undefined ? { max_tokens: job.params.maxTokens } : {}),
      };
      // The model API renders the template as the first system message; `messages` keeps only the conversation's
      // own system prompt, which then follows it.
      const completion = await this.options.chatStream(
        serviceCaller("conversation", job.caller),
        (source.promptTemplate
          ? { ...request, prompt_template: source.promptTemplate }
          : request) as ChatCompletionCreateParamsStreaming,
        upstream,
        requested,
      );
      for await (const chunks of completion) {
        armIdle();
        for (const chunk of chunks) {
          const delta = chunk.choices[0]?.delta?.content;
          if (delta) {
            text += delta;
            pending += delta;
          }
          if (chunk.usage) {
            usage = {
              promptTokens: chunk.usage.prompt_tokens,
              completionTokens: chunk.usage.completion_tokens,
              totalTokens: chunk.usage.total_tokens,
            };
          }
        }
        if (!pending) continue;
        if (ttftMs === null) {
          // The first token goes out at once: batching saves events on the rest, not the wait for the first.
          traceMark("conversation.first-token");
          ttftMs = Date.now() - startedAt;
          closeBatch();
        } else if (!batchTimer) {
          // The model API gathers the deltas for `batchMs` itself (`stream_options.batch_ms`), so its reads come
          // about that far apart, give or take the network's jitter, and each is one event at once; deltas that
          // come much sooner (a model API that sends every token as it comes) wait for the rest of the window.
          const wait = lastEventAt + this.options.batchMs - performance.now();
          if (wait <= this.options.batchMs / 4) closeBatch();
          else batchTimer = setTimeout(closeBatch, wait);
        }
      }
      // A stream that ended as it was aborted is not a whole answer.
      if (upstream.aborted) throw upstream.reason;
    } catch (err) {
      if (err instanceof AugmentFailure) {
        status = MessageStatus.FAILED;
        failure = { code: err.code, reason: err.message };
      } else if (signal.aborted && signal.reason === STOP) {
        status = MessageStatus.STOPPED;
      } else if (signal.aborted) {
        status = MessageStatus.FAILED;
        failure = { code: "INTERRUPTED", reason: "interrupted by a shutdown" };
      } else if (idle.signal.aborted) {
        status = MessageStatus.FAILED;
        failure = { code: "UPSTREAM_UNAVAILABLE", reason: "the model stopped sending" };
        logger.warn({ messageId: job.messageId, idleTimeoutMs: this.idleTimeoutMs }, "model stream stalled");
      } else {
        status = MessageStatus.FAILED;
        failure = classifyError(err);
        logger.warn({ err, messageId: job.messageId }, "generation failed");
      }
    } finally {
      clearTimeout(idleTimer);
      clearInterval(progressTimer);
      closeBatch();
    }

    await appends;
    await writes;
    if (!(await stored)) return;
    const terminalSeq = seq + 1;
    let changed: number;
    try {
      // Conditional on the status: a sweep on another replica may have ended the row already (it took this one
      // for dead), and then its terminal event is the one that stands.
      changed = await retry(() =>
        quickUpdate(
          orm.em.fork(),
          Message,
          { id: job.messageId, status: MessageStatus.STREAMING },
          {
            status,
            content: text,
            citations,
            usage,
            ttftMs,
            latencyMs: Date.now() - startedAt,
            errorCode: failure?.code ?? null,
            errorReason: failure?.reason ?? null,
            lastSeq: terminalSeq,
            updatedAt: new Date(),
          },
        ),
      );
    } catch (err) {
      // The row stays STREAMING and stops moving, so the stale sweep ends it and its followers.
      logger.error({ err, messageId: job.messageId }, "could not save the finished reply");
      return;
    }
    if (changed === 0) return;
    const terminal: StreamEvent = failure
      ? { kind: "failed", messageId: job.messageId, ...failure }
      : { kind: "done", messageId: job.messageId };
    try {
      await retry(() => pubsub.append(stream, terminalSeq, terminal));
      await pubsub.expire(stream, this.options.retentionSeconds);
    } catch (err) {
      // The row is final, so followers end from it once the log goes quiet (followStream's onQuiet).
      logger.warn({ err, messageId: job.messageId }, "could not append the terminal event");
    }
  }
}

/** Retrieval failed before the model was called: the reply ends FAILED with this code and message. */
class AugmentFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The turns before `message` on its branch, oldest first: its ancestors through `parentId`, so a reply never sees
 * another branch's messages (one query for the conversation, then a walk in memory).
 */
export async function branchBefore(
  em: EntityManager,
  message: Pick<Message, "parentId" | "position"> & { conversation: { id: string } },
): Promise<Message[]> {
  // The first message of a conversation has nothing before it.
  if (!message.parentId) return [];
  const rows = await em.find(Message, { conversation: message.conversation.id, position: { $lt: message.position } });
  return pathTo(rows, message.parentId);
}

/** The message `id` among `rows` and its ancestors through `parentId`, oldest first; a missing one ends the walk. */
export function pathTo(rows: readonly Message[], id: string | null | undefined): Message[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const path: Message[] = [];
  for (let row = id ? byId.get(id) : undefined; row; row = row.parentId ? byId.get(row.parentId) : undefined) {
    path.unshift(row);
  }
  return path;
}

/**
 * The reply's source and the turns before its question: from the job when the request that stored the reply
 * passed them (one query at most, none for a conversation's first question), else from the database.
 */
async function readSource(em: EntityManager, job: GenerationJob): Promise<{ source: ReplySource; earlier: Message[] }> {
  if (job.source) {
    const { question, conversationId, earlier } = job.source;
    return {
      source: job.source,
      earlier: earlier ?? (await branchBefore(em, { ...question, conversation: { id: conversationId } })),
    };
  }
  const message = await em.findOneOrFail(Message, { id: job.messageId }, { populate: ["conversation"] });
  const conversation = message.conversation;
  const earlier = await branchBefore(em, message);
  const question = earlier.pop();
  if (!question) throw new Error(`reply ${job.messageId} answers no question`);
  return {
    source: {
      conversationId: conversation.id,
      modelId: message.modelId ?? conversation.modelId,
      systemPrompt: conversation.systemPrompt ?? null,
      promptTemplate: conversation.promptTemplate ?? null,
      knowledgeBaseIds: conversation.knowledgeBaseIds,
      retrieval: conversation.retrieval,
      question,
    },
    earlier,
  };
}

/** Runs `action`, trying again after a short, growing pause when it throws (`attempts` tries in all). */
async function retry<T>(action: () => Promise<T>, attempts = 3, backoffMs = 100): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (err) {
      if (attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, backoffMs * attempt));
    }
  }
}

/** A promise with its resolve and reject, for a result that another party waits on. */
export function settlement(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The caller's message, or null when it does not exist or belongs to someone else's conversation. */
export async function findOwnedMessage(em: EntityManager, caller: Caller, id: string): Promise<Message | null> {
  const ownerId = caller.userId;
  if (!ownerId) return null;
  const tableOf = (entity: { name: string }) => em.getMetadata().get(entity.name).tableName;
  const messages = tableOf(Message);
  const [message] = await quickFind(em, Message, (q) =>
    q
      .join(`${tableOf(Conversation)} as c`, "c.id", `${messages}.conversation_id`)
      .where({ [`${messages}.id`]: id, "c.owner_id": ownerId })
      .limit(1),
  );
  return message ?? null;
}

/** The terminal log event that describes an ended row. */
function terminalEvent(message: Message): StreamEvent {
  return message.status === MessageStatus.FAILED
    ? {
        kind: "failed",
        messageId: message.id,
        code: message.errorCode ?? "INTERNAL_SERVER_ERROR",
        reason: message.errorReason ?? "the reply failed",
      }
    : { kind: "done", messageId: message.id };
}

/** The one event a late subscriber gets for an ended row (same event as {@link terminalEvent}). */
function terminalFromRow(message: Message): StreamItem {
  const event = terminalEvent(message);
  return event.kind === "failed"
    ? { kind: "failed", seq: message.lastSeq, code: event.code, reason: event.reason, message }
    : { kind: "done", seq: message.lastSeq, message };
}

/** Maps a failed model call to a code and a reason a user can act on (no stack, no internals). */
export function classifyError(err: unknown): { code: string; reason: string } {
  if (err instanceof APIConnectionError) {
    return { code: "UPSTREAM_UNAVAILABLE", reason: `The model API did not answer: ${err.message}` };
  }
  if (err instanceof APIError) {
    const status = err.status ?? 0;
    const code =
      status === 400 || status === 422
        ? "BAD_USER_INPUT"
        : status === 404
          ? "NOT_FOUND"
          : status === 401 || status === 403
            ? "FORBIDDEN"
            : status === 429
              ? "RATE_LIMITED"
              : "UPSTREAM_UNAVAILABLE";
    return { code, reason: `The model API answered ${status || "an error"}: ${err.message}` };
  }
  return { code: "UPSTREAM_UNAVAILABLE", reason: `The model call failed: ${(err as Error)?.message ?? String(err)}` };
}
