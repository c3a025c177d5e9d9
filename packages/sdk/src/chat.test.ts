import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { describe, expect, it } from "vitest";
import { ChatApi, type ChatMessage } from "./chat.js";
import { ChatSubscription, MessageStreamSubscription } from "./documents.js";
import { OdsError } from "./errors.js";
import type { SdkMessageStreamSubscription } from "./gql/graphql.js";
import type { Transport, VariablesArg } from "./transport.js";

type StreamEvent = SdkMessageStreamSubscription["messageStream"];

const message = (content: string, status: ChatMessage["status"]): ChatMessage => ({
  id: "m2",
  role: "ASSISTANT",
  content,
  status,
  createdAt: "2025-01-01T00:00:00.000Z",
});

const socketClosed = () => Object.assign(new Error("socket closed"), { code: 1006 });

/** How the in-memory platform misbehaves, once each. */
interface Faults {
  /** Drop the socket after this many of the answer's events (0: right after MessageStarted). */
  dropAfter?: number;
  /** Fail `chat` before MessageStarted: refuse the message, or drop the socket before confirming it. */
  beforeStart?: unknown;
}

/**
 * An in-memory platform for one answer. `chat` stores the message (MessageStarted, seq 0) and then sends the
 * answer's event log; `messageStream` replays that log after `afterSeq`. It records every subscription, and
 * counts the `chat` subscriptions that the client closed before their last event.
 */
function platform(log: StreamEvent[], faults: Faults = {}) {
  const calls: Array<{ op: "chat" | "messageStream"; afterSeq?: number | null }> = [];
  let released = 0;
  let dropped = faults.dropAfter === undefined;
  async function* events(afterSeq: number) {
    for (const event of log.filter((e) => e.seq > afterSeq)) {
      if (!dropped && event.seq > faults.dropAfter!) {
        dropped = true;
        throw socketClosed();
      }
      yield event;
    }
  }
  const transport: Transport = {
    async graphql<R, V>(_document: TypedDocumentNode<R, V>, ..._variables: VariablesArg<V>): Promise<R> {
      throw new Error("unexpected operation: the chat helper sends nothing over HTTP");
    },
    async *subscribe<R, V>(document: TypedDocumentNode<R, V>, ...[variables]: VariablesArg<V>): AsyncGenerator<R> {
      if (document === (ChatSubscription as unknown)) {
        calls.push({ op: "chat" });
        if (faults.beforeStart) throw faults.beforeStart;
        let ended = false;
        try {
          yield {
            chat: {
              __typename: "MessageStarted",
              seq: 0,
              userMessage: { ...message("Hi", "COMPLETE"), id: "m1", role: "USER" },
              assistantMessage: message("", "STREAMING"),
            },
          } as R;
          for await (const event of events(0)) {
            ended = event.__typename === "MessageDone" || event.__typename === "MessageFailed";
            yield { chat: event } as R;
          }
        } finally {
          if (!ended) released += 1;
        }
        return;
      }
      if (document !== (MessageStreamSubscription as unknown)) throw new Error("unexpected operation");
      const afterSeq = (variables as { afterSeq?: number | null }).afterSeq;
      calls.push({ op: "messageStream", afterSeq });
      for await (const event of events(afterSeq ?? 0)) yield { messageStream: event } as R;
    },
    get() {
      throw new Error("no REST routes here");
    },
  };
  return { chat: new ChatApi(transport), calls, released: () => released };
}

describe("chat.stream", () => {
  const log: StreamEvent[] = [
    { __typename: "MessageToken", seq: 1, delta: "Hel" },
    { __typename: "MessageToken", seq: 2, delta: "lo, " },
    { __typename: "MessageToken", seq: 3, delta: "world" },
    { __typename: "MessageDone", seq: 4, message: message("Hello, world", "COMPLETE") },
  ];

  it("sends and streams the answer through one chat subscription", async () => {
    const { chat, calls } = platform(log);
    const stream = chat.stream({ conversationId: "c1", content: "Hi" });
    const deltas: string[] = [];
    for await (const delta of stream) deltas.push(delta);
    expect(deltas.join("")).toBe("Hello, world");
    expect(calls).toEqual([{ op: "chat" }]);
    await expect(stream.sent).resolves.toMatchObject({
      userMessage: { id: "m1", role: "USER" },
      assistantMessage: { id: "m2", status: "STREAMING" },
    });
    await expect(stream.result()).resolves.toMatchObject({ content: "Hello, world", status: "COMPLETE" });
  });

  it("yields every delta once across a dropped socket, resuming with messageStream after the last event", async () => {
    const { chat, calls } = platform(log, { dropAfter: 2 });
    const stream = chat.stream({ conversationId: "c1", content: "Hi" });
    const deltas: string[] = [];
    for await (const delta of stream) deltas.push(delta);
    expect(deltas.join("")).toBe("Hello, world");
    expect(calls).toEqual([{ op: "chat" }, { op: "messageStream", afterSeq: 2 }]);
    await expect(stream.result()).resolves.toMatchObject({ content: "Hello, world", status: "COMPLETE" });
  });

  it("resumes after MessageStarted (seq 0) when the socket drops before the first token", async () => {
    const { chat, calls } = platform(log, { dropAfter: 0 });
    const deltas: string[] = [];
    for await (const delta of chat.stream({ conversationId: "c1", content: "Hi" })) deltas.push(delta);
    expect(deltas.join("")).toBe("Hello, world");
    expect(calls).toEqual([{ op: "chat" }, { op: "messageStream", afterSeq: 0 }]);
  });

  it("keeps the chat subscription for a reader who awaited `sent` first", async () => {
    const { chat, calls, released } = platform(log);
    const stream = chat.stream({ conversationId: "c1", content: "Hi" });
    const { assistantMessage } = await stream.sent;
    expect(assistantMessage.id).toBe("m2");
    const deltas: string[] = [];
    for await (const delta of stream) deltas.push(delta);
    expect(deltas.join("")).toBe("Hello, world");
    expect(calls).toEqual([{ op: "chat" }]);
    expect(released()).toBe(0);
  });

  it("lets the chat subscription go when nobody reads, and replays the answer to a later reader", async () => {
    const { chat, calls, released } = platform(log);
    const stream = chat.stream({ conversationId: "c1", content: "Hi" });
    await stream.sent;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(released()).toBe(1);
    await expect(stream.result()).resolves.toMatchObject({ content: "Hello, world", status: "COMPLETE" });
    expect(calls).toEqual([{ op: "chat" }, { op: "messageStream", afterSeq: 0 }]);
  });

  it("send() reads the stream to its end", async () => {
    const { chat } = platform(log);
    await expect(chat.send({ conversationId: "c1", content: "Hi" })).resolves.toMatchObject({ status: "COMPLETE" });
  });

  it("rejects with the platform's refusal, and follows no stream", async () => {
    const refusal = new OdsError("NOT_FOUND", "Conversation c9 not found");
    const { chat, calls } = platform(log, { beforeStart: refusal });
    const stream = chat.stream({ conversationId: "c9", content: "Hi" });
    await expect(stream.sent).rejects.toBe(refusal);
    await expect(stream.result()).rejects.toBe(refusal);
    expect(calls).toEqual([{ op: "chat" }]);
  });

  it("does not send again when the socket drops before the platform confirmed the message", async () => {
    const { chat, calls } = platform(log, { beforeStart: socketClosed() });
    const stream = chat.stream({ conversationId: "c1", content: "Hi" });
    await expect(stream.sent).rejects.toMatchObject({
      code: "NETWORK_ERROR",
      message: expect.stringContaining("may or may not have been stored"),
    });
    await expect(stream.result()).rejects.toMatchObject({ code: "NETWORK_ERROR" });
    expect(calls).toEqual([{ op: "chat" }]);
  });

  it("reports a refused connection as UNAUTHENTICATED", async () => {
    const refused = Object.assign(new Error("Subscription failed: 4403"), { code: 4403 });
    const { chat } = platform(log, { beforeStart: refused });
    await expect(chat.send({ conversationId: "c1", content: "Hi" })).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
  });

  it("throws the failure's code when generation fails", async () => {
    const { chat } = platform([
      { __typename: "MessageToken", seq: 1, delta: "Par" },
      {
        __typename: "MessageFailed",
        seq: 2,
        code: "UPSTREAM_UNAVAILABLE",
        reason: "model down",
        message: message("Par", "FAILED"),
      },
    ]);
    const stream = chat.stream({ conversationId: "c1", content: "Hi" });
    await expect(stream.result()).rejects.toMatchObject({ code: "UPSTREAM_UNAVAILABLE", message: "model down" });
  });

  it("rejects result() when the reader stops early instead of waiting forever, and closes the subscription", async () => {
    const { chat, released } = platform(log);
    const stream = chat.stream({ conversationId: "c1", content: "Hi" });
    for await (const _ of stream) break;
    await expect(stream.result()).rejects.toMatchObject({ code: "CANCELLED" });
    expect(released()).toBe(1);
  });
});
