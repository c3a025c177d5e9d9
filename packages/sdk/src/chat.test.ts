import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { describe, expect, it } from "vitest";
import { ChatApi, type ChatMessage } from "./chat.js";
import { MessageStreamSubscription, SendMessageMutation } from "./documents.js";
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

/**
 * An in-memory platform for one answer: `sendMessage` stores it, and `messageStream` replays its event log
 * after `afterSeq`, dropping the socket once after `dropAfter` events to exercise resuming.
 */
function platform(log: StreamEvent[], dropAfter?: number) {
  const afterSeqs: Array<number | null | undefined> = [];
  let dropped = dropAfter === undefined;
  const transport: Transport = {
    async graphql<R, V>(document: TypedDocumentNode<R, V>, ..._variables: VariablesArg<V>): Promise<R> {
      if (document !== (SendMessageMutation as unknown)) throw new Error("unexpected operation");
      const sent = {
        userMessage: { ...message("Hello", "COMPLETE"), id: "m1", role: "USER" },
        assistantMessage: message("", "STREAMING"),
      };
      return { sendMessage: sent } as R;
    },
    async *subscribe<R, V>(document: TypedDocumentNode<R, V>, ...[variables]: VariablesArg<V>): AsyncGenerator<R> {
      if (document !== (MessageStreamSubscription as unknown)) throw new Error("unexpected operation");
      const afterSeq = (variables as { afterSeq?: number | null }).afterSeq;
      afterSeqs.push(afterSeq);
      for (const event of log.filter((e) => e.seq > (afterSeq ?? 0))) {
        if (!dropped && event.seq > dropAfter!) {
          dropped = true;
          throw Object.assign(new Error("socket closed"), { code: 1006 });
        }
        yield { messageStream: event } as R;
      }
    },
    get() {
      throw new Error("no REST routes here");
    },
  };
  return { chat: new ChatApi(transport), afterSeqs };
}

describe("chat.stream", () => {
  const log: StreamEvent[] = [
    { __typename: "MessageToken", seq: 1, delta: "Hel" },
    { __typename: "MessageToken", seq: 2, delta: "lo, " },
    { __typename: "MessageToken", seq: 3, delta: "world" },
    { __typename: "MessageDone", seq: 4, message: message("Hello, world", "COMPLETE") },
  ];

  it("yields every delta once across a dropped socket and resolves with the stored message", async () => {
    const { chat, afterSeqs } = platform(log, 2);
    const stream = chat.stream({ conversationId: "c1", content: "Hi" });
    const deltas: string[] = [];
    for await (const delta of stream) deltas.push(delta);
    expect(deltas.join("")).toBe("Hello, world");
    expect(afterSeqs).toEqual([null, 2]);
    await expect(stream.result()).resolves.toMatchObject({ content: "Hello, world", status: "COMPLETE" });
  });

  it("send() reads the stream to its end", async () => {
    const { chat } = platform(log);
    await expect(chat.send({ conversationId: "c1", content: "Hi" })).resolves.toMatchObject({ status: "COMPLETE" });
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

  it("rejects result() when the reader stops early instead of waiting forever", async () => {
    const { chat } = platform(log);
    const stream = chat.stream({ conversationId: "c1", content: "Hi" });
    for await (const _ of stream) break;
    await expect(stream.result()).rejects.toMatchObject({ code: "CANCELLED" });
  });
});
