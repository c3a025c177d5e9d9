import { describe, expect, it } from "vitest";
import { OdsError } from "./errors.js";
import { resumable, type SequencedEvent } from "./resume.js";
import { isRetryableSocketError } from "./socket.js";

interface Event extends SequencedEvent {
  last?: boolean;
}

/** A replayable log like the server's: each subscription replays every event after `afterSeq`. */
function log(count: number, dropAfter: number[] = []) {
  const events: Event[] = Array.from({ length: count }, (_, i) => ({ seq: i + 1, last: i + 1 === count }));
  const calls: Array<number | undefined> = [];
  const subscribe = async function* (afterSeq: number | undefined): AsyncGenerator<Event> {
    calls.push(afterSeq);
    const drop = dropAfter.shift();
    for (const event of events) {
      if (afterSeq !== undefined && event.seq <= afterSeq) continue;
      if (drop !== undefined && event.seq > drop) throw Object.assign(new Error("socket closed"), { code: 1006 });
      yield event;
    }
  };
  return { subscribe, calls };
}

const options = {
  isTerminal: (event: Event) => event.last === true,
  isRetryable: isRetryableSocketError,
  sleep: async () => undefined,
};

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe("resumable", () => {
  it("resumes after the last event seen when the socket drops, without loss or repeats", async () => {
    const { subscribe, calls } = log(6, [2, 4]);
    const events = await collect(resumable(subscribe, options));
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(calls).toEqual([undefined, 2, 4]);
  });

  it("starts after the given afterSeq", async () => {
    const { subscribe, calls } = log(4);
    const events = await collect(resumable(subscribe, { ...options, afterSeq: 2 }));
    expect(events.map((e) => e.seq)).toEqual([3, 4]);
    expect(calls).toEqual([2]);
  });

  it("skips events the server replays at or below the last seq", async () => {
    let first = true;
    const subscribe = async function* (): AsyncGenerator<Event> {
      // This server ignores afterSeq and replays from the start after a reconnect.
      yield { seq: 1 };
      yield { seq: 2 };
      if (first) {
        first = false;
        throw Object.assign(new Error("gone"), { code: 1001 });
      }
      yield { seq: 3, last: true };
    };
    const events = await collect(resumable(subscribe, options));
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it("resubscribes when the stream ends without a terminal event", async () => {
    let calls = 0;
    const subscribe = async function* (afterSeq: number | undefined): AsyncGenerator<Event> {
      calls += 1;
      if (afterSeq === undefined) yield { seq: 1 };
      else yield { seq: 2, last: true };
    };
    expect((await collect(resumable(subscribe, options))).map((e) => e.seq)).toEqual([1, 2]);
    expect(calls).toBe(2);
  });

  it("throws errors that are not retryable at once", async () => {
    let calls = 0;
    const subscribe = async function* (): AsyncGenerator<Event> {
      calls += 1;
      yield* [];
      throw new OdsError("NOT_FOUND", "no such message");
    };
    await expect(collect(resumable(subscribe, options))).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(calls).toBe(1);
  });

  it("gives up after maxAttempts reconnects that bring no event, waiting longer each time", async () => {
    const waits: number[] = [];
    const subscribe = async function* (): AsyncGenerator<Event> {
      yield* [];
      throw Object.assign(new Error("refused"), { code: 1006 });
    };
    const stream = resumable(subscribe, {
      ...options,
      maxAttempts: 3,
      sleep: async (ms) => void waits.push(ms),
    });
    await expect(collect(stream)).rejects.toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });
    expect(waits).toEqual([250, 500, 1000]);
  });
});

describe("isRetryableSocketError", () => {
  it("retries dropped sockets but not refusals or GraphQL errors", () => {
    expect(isRetryableSocketError({ code: 1006 })).toBe(true);
    expect(isRetryableSocketError(new Error("ECONNREFUSED"))).toBe(true);
    expect(isRetryableSocketError({ code: 4401 })).toBe(false);
    expect(isRetryableSocketError({ code: 4403 })).toBe(false);
    expect(isRetryableSocketError(new OdsError("FORBIDDEN", "no"))).toBe(false);
  });
});
