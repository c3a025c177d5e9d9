import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gqlOk, readStream, startInstance, tempDir, user } from "./harness.js";
import { startModelServer, tokenText, type ModelServer } from "./model-server.js";

const alice = user("alice");
const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { assistantMessage { id } } }`;

describe("the first token of a reply", () => {
  let model: ModelServer;
  let app: Awaited<ReturnType<typeof startInstance>>;
  let dir: string;

  beforeAll(async () => {
    model = await startModelServer();
    dir = tempDir();
    // A batch window far longer than the whole reply: only the first token may come before the reply ends.
    app = await startInstance({ dataDir: dir, modelUrl: model.url, env: { ODS_STREAM_BATCH_MS: "2000" } });
  });

  afterAll(async () => {
    await app?.close();
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is sent at once, not held for the batch window; the rest are batched", async () => {
    const started = performance.now();
    const { sendMessage } = await gqlOk(app.url, alice, SEND, {
      input: { conversationId: null, content: "hello tokens:6 delay:20" },
    });
    const arrivals: { type: string; delta?: string; at: number }[] = [];
    const { events, errors } = await readStream(app.url, alice, sendMessage.assistantMessage.id, {
      onEvent: (e) => arrivals.push({ type: e.__typename, delta: e.delta, at: performance.now() - started }),
    });
    expect(errors).toBeUndefined();
    const tokens = arrivals.filter((a) => a.type === "MessageToken");
    expect(tokens[0]!.delta).toBe(tokenText(0));
    // Six tokens 20 ms apart take about 120 ms; the first arrives long before the 2 s window would have closed.
    expect(tokens[0]!.at).toBeLessThan(1_000);
    // The other five came in one batch, closed when the reply ended, and nothing was lost.
    expect(tokens).toHaveLength(2);
    expect(tokens.map((t) => t.delta).join("")).toBe([0, 1, 2, 3, 4, 5].map(tokenText).join(""));
    expect(events.at(-1)!.__typename).toBe("MessageDone");
  });
});
