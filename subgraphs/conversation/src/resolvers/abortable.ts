/**
 * Wraps a generator that takes an abort signal as an async iterator whose `return()` (the client unsubscribed)
 * aborts it first, so waits inside the generator end at once instead of at their next event.
 */
// Made once: `abort()` without a reason builds a DOMException with a stack trace for every subscription's end.
const UNSUBSCRIBED = new Error("the client unsubscribed");

export function abortable<T>(start: (signal: AbortSignal) => AsyncGenerator<T>): AsyncIterableIterator<T> {
  const controller = new AbortController();
  const inner = start(controller.signal);
  return {
    next: () => inner.next(),
    return: async (value?: unknown) => {
      controller.abort(UNSUBSCRIBED);
      await inner.return(undefined);
      return { done: true, value: value as T };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
