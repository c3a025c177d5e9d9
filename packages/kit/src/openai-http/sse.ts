/**
 * Splits a server-sent event stream, fed as text in whatever pieces the network delivers, into the data of each
 * event: its `data:` lines joined with "\n". Events without data (comments such as `: keep-alive`) are skipped.
 *
 * @remarks The common case, one `data:` line per event as OpenAI-compatible servers send, is taken without
 * splitting lines. CRLF and CR line ends are accepted, as the SSE format allows.
 */
export class SseDecoder {
  private rest = "";

  push(input: string): string[] {
    let buffer = this.rest + input;
    if (buffer.includes("\r")) {
      // A trailing CR may be the first half of a CRLF, so it waits for the next piece.
      const held = buffer.endsWith("\r");
      buffer = (held ? buffer.slice(0, -1) : buffer).replace(/\r\n?/g, "\n") + (held ? "\r" : "");
    }
    const events: string[] = [];
    let start = 0;
    for (;;) {
      const end = buffer.indexOf("\n\n", start);
      if (end < 0) break;
      const data = eventData(buffer.slice(start, end));
      if (data !== null) events.push(data);
      start = end + 2;
    }
    this.rest = start === 0 ? buffer : buffer.slice(start);
    return events;
  }
}

/** The data of one event (its `data:` lines joined), or null for an event without data. */
function eventData(event: string): string | null {
  if (event.startsWith("data:") && !event.includes("\n")) {
    return event.charCodeAt(5) === 32 ? event.slice(6) : event.slice(5);
  }
  const lines: string[] = [];
  for (const line of event.split("\n")) {
    if (!line.startsWith("data:")) continue;
    lines.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
  }
  return lines.length > 0 ? lines.join("\n") : null;
}
