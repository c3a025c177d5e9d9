import { describe, expect, it } from "vitest";
import { ChatRelay } from "./chat-relay.js";

const chunk = (fields: Record<string, unknown>) =>
  `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "up-model", ...fields })}\n\n`;
const delta = (d: Record<string, unknown>) => chunk({ choices: [{ index: 0, delta: d, finish_reason: null }] });

describe("ChatRelay", () => {
  it("relays events split anywhere, with the client's model name, and notes the first content once", () => {
    let firsts = 0;
    const relay = new ChatRelay("team-llm", () => firsts++);
    const body = delta({ role: "assistant", content: "" }) + delta({ content: 'Say "hi"' }) + delta({ content: "!" });
    let out = "";
    for (let i = 0; i < body.length; i += 7) out += relay.push(body.slice(i, i + 7));
    expect(out).toBe(body.replaceAll('"model":"up-model"', '"model":"team-llm"'));
    expect(firsts).toBe(1);
    expect(relay.text).toBe('Say "hi"!');
    expect(relay.push("data: [DONE]\n\n")).toBe("");
    expect(relay.done).toBe(true);
  });

  it("takes CRLF line ends and a usage chunk, and stops counting text once usage is reported", () => {
    const relay = new ChatRelay("m", () => undefined);
    const usage = chunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 } });
    const out = relay.push(
      (delta({ content: "a" }) + chunk({ choices: [], usage: null }) + usage).replaceAll("\n", "\r\n"),
    );
    expect(out.split("\n\n").filter(Boolean)).toHaveLength(3);
    expect(relay.usage).toEqual({ promptTokens: 5, completionTokens: 4 });
    expect(relay.text).toBe("");
  });

  it("counts tool-call arguments, skips comments and ends with an upstream error event", () => {
    const relay = new ChatRelay("m", () => undefined);
    const tool = delta({ tool_calls: [{ index: 0, function: { name: "f", arguments: '{"a":1}' } }] });
    const out = relay.push(
      `: keep-alive\n\n${tool}data: {"error":{"message":"overloaded"}}\n\n${delta({ content: "x" })}`,
    );
    expect(out).toBe(tool.replace('"up-model"', '"m"'));
    expect(relay.text).toBe('{"a":1}');
    expect(relay.error?.message).toContain("overloaded");
  });
});
