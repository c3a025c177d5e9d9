import { describe, expect, it } from "vitest";
import { MessageRole, MessageStatus } from "../entities/index.js";
import { buildPrompt, estimateTokens } from "./prompt.js";

const turn = (role: MessageRole, content: string, status = MessageStatus.COMPLETE) => ({ role, content, status });

describe("buildPrompt", () => {
  it("puts the system prompt first and the new message last", () => {
    const prompt = buildPrompt(
      {
        systemPrompt: "Be brief.",
        history: [turn(MessageRole.USER, "hi"), turn(MessageRole.ASSISTANT, "hello")],
        userMessage: "how are you?",
      },
      1000,
    );
    expect(prompt).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "how are you?" },
    ]);
  });

  it("leaves out exchanges whose reply did not complete", () => {
    const prompt = buildPrompt(
      {
        history: [
          turn(MessageRole.USER, "q1"),
          turn(MessageRole.ASSISTANT, "partial", MessageStatus.STOPPED),
          turn(MessageRole.USER, "q2"),
          turn(MessageRole.ASSISTANT, "", MessageStatus.FAILED),
          turn(MessageRole.USER, "q3"),
          turn(MessageRole.ASSISTANT, "a3"),
        ],
        userMessage: "q4",
      },
      1000,
    );
    expect(prompt.map((m) => m.content)).toEqual(["q3", "a3", "q4"]);
  });

  it("trims the oldest exchanges by token count, not by message count", () => {
    const long = "x".repeat(400); // about 104 tokens
    const history = [
      turn(MessageRole.USER, long),
      turn(MessageRole.ASSISTANT, long),
      turn(MessageRole.USER, "short"),
      turn(MessageRole.ASSISTANT, "reply"),
    ];
    const budget = estimateTokens("now") + estimateTokens("short") + estimateTokens("reply") + 50;
    const prompt = buildPrompt({ history, userMessage: "now" }, budget);
    expect(prompt.map((m) => m.content)).toEqual(["short", "reply", "now"]);
  });

  it("keeps the new message even when it alone exceeds the budget", () => {
    const prompt = buildPrompt(
      { systemPrompt: "s", history: [turn(MessageRole.USER, "a"), turn(MessageRole.ASSISTANT, "b")], userMessage: "q" },
      1,
    );
    expect(prompt.map((m) => m.content)).toEqual(["s", "q"]);
  });

  it("puts the retrieved context right after the system prompt, and keeps it when the budget is short", () => {
    const history = [turn(MessageRole.USER, "x".repeat(400)), turn(MessageRole.ASSISTANT, "y".repeat(400))];
    const prompt = buildPrompt(
      { systemPrompt: "Be brief.", context: "[1] The sky is blue.", history, userMessage: "q" },
      60,
    );
    expect(prompt).toEqual([
      { role: "system", content: "Be brief." },
      { role: "system", content: "[1] The sky is blue." },
      { role: "user", content: "q" },
    ]);
    const withoutSystem = buildPrompt({ context: "ctx", history: [], userMessage: "q" }, 1000);
    expect(withoutSystem).toEqual([
      { role: "system", content: "ctx" },
      { role: "user", content: "q" },
    ]);
  });
});
