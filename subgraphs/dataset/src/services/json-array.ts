import type { Readable } from "node:stream";
import { InferError } from "./infer-error.js";

/** Largest single element of a JSON array file; a bigger one is refused rather than buffered. */
const MAX_ELEMENT_CHARS = 16 * 1024 * 1024;

/**
 * Streams the objects of a file holding one JSON array of objects (`[{…}, {…}]`), without parsing the file
 * whole: the text of each top-level element is cut out as it arrives and parsed on its own, so memory stays at
 * the size of one element however large the file is. Stop iterating at any time; the source is destroyed.
 *
 * @throws InferError when the file is not an array of objects, naming the element that is not.
 */
export async function* jsonArrayRecords(
  source: Readable,
): AsyncGenerator<{ record: Record<string, unknown>; bytes: number }> {
  const decoder = new TextDecoder("utf-8");
  let state = "start" as ScanState;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element = "";
  let bytes = 0;
  let index = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      const text = decoder.decode(chunk, { stream: true });
      let from = 0;
      for (let i = 0; i < text.length; i++) {
        const ch = text[i]!;
        if (state === "element") {
          if (inString) {
            if (escaped) escaped = false;
            else if (ch === "\\") escaped = true;
            else if (ch === '"') inString = false;
            continue;
          }
          if (ch === '"') inString = true;
          else if (ch === "{" || ch === "[") depth++;
          else if (ch === "}" || ch === "]") {
            if (depth === 0) {
              if (ch === "}") throw new InferError(`element ${index + 1} of the array is not valid JSON`);
              // The array closes right after a scalar element.
              element += text.slice(from, i);
              yield { record: parseElement(element, index++), bytes };
              element = "";
              state = "end";
              continue;
            }
            depth--;
          } else if (ch === "," && depth === 0) {
            element += text.slice(from, i);
            yield { record: parseElement(element, index++), bytes };
            element = "";
            state = "between";
          }
          continue;
        }
        if (ch === " " || ch === "\n" || ch === "\r" || ch === "\t" || ch === "\uFEFF") continue;
        if (state === "start") {
          if (ch !== "[") throw new InferError("the file is not a JSON array: it must start with [");
          state = "between";
        } else if (state === "between") {
          if (ch === "]") {
            // `[]`, or a trailing comma before the end, which JSON.parse would refuse but is harmless here.
            state = "end";
            continue;
          }
          if (ch === ",") throw new InferError(`element ${index + 1} of the array is empty`);
          state = "element";
          from = i;
          depth = 0;
          inString = ch === '"';
          if (ch === "{" || ch === "[") depth = 1;
        } else {
          throw new InferError("the file has text after the end of its JSON array");
        }
      }
      if (state === "element") {
        element += text.slice(from);
        if (element.length > MAX_ELEMENT_CHARS) {
          throw new InferError(`element ${index + 1} of the array is larger than ${MAX_ELEMENT_CHARS} characters`);
        }
      }
    }
    if (state === "start") throw new InferError("the file is empty: a JSON dataset needs an array of objects");
    // Read through a function: the compiler cannot follow assignments made across `yield`s.
    if (stateOf(state) !== "end") throw new InferError("the JSON array is not closed: the file ends too early");
  } finally {
    source.destroy();
  }
}

type ScanState = "start" | "between" | "element" | "end";

const stateOf = (state: ScanState): ScanState => state;

function parseElement(text: string, index: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InferError(`element ${index + 1} of the array is not valid JSON`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InferError(`element ${index + 1} of the array is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
