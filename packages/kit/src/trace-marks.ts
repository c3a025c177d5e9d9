/**
 * Timing marks on the chat path, for `bench/chat-timeline.mjs`: with `ODS_TRACE_MARKS=1` a process prints one
 * line per mark, `{"mark":"<name>","at":<ms>}`, with `at` from the monotonic clock that every process on the
 * machine shares, so marks of the gateway, the subgraphs and the load generator line up. Off (the default), a
 * mark costs one test of a constant.
 */
const TRACING = process.env.ODS_TRACE_MARKS === "1";

/** Prints the mark `name` when tracing is on (see the module's description); `name` says process and step. */
export function traceMark(name: string): void {
  if (TRACING) process.stdout.write(`{"mark":"${name}","at":${Number(process.hrtime.bigint()) / 1e6}}\n`);
}
