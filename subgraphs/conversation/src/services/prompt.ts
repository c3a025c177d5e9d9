import { MessageRole, MessageStatus } from "../entities/index.js";

export interface PromptTurn {
  role: MessageRole;
  content: string;
  status: MessageStatus;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * An approximate token count: about four characters per token for English text, plus a few tokens of
 * per-message framing. Close enough to budget a prompt without shipping a tokenizer for every model.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4;
}

const ROLE: Record<MessageRole, ChatMessage["role"]> = {
  [MessageRole.USER]: "user",
  [MessageRole.ASSISTANT]: "assistant",
  [MessageRole.SYSTEM]: "system",
};

/**
 * Assembles the prompt: the system prompt, the retrieved context, the earlier turns that fit, and the new user
 * message.
 *
 * @remarks Only finished exchanges are history: a user message counts when the reply after it is COMPLETE
 * (a failed or stopped reply, and the question that led to it, are left out so the model never sees half a
 * turn). When the budget is short the oldest exchanges go first, by estimated token count, never the system
 * prompt, the context or the new message.
 * @param options.context - text retrieved for this question (RAG), sent as a system message right after the
 * conversation's own system prompt
 * @param history - earlier messages of the conversation, oldest first, without the new user message
 * @param budget - tokens the prompt may use (the context length minus what the reply needs)
 */
export function buildPrompt(
  options: { systemPrompt?: string | null; context?: string | null; history: PromptTurn[]; userMessage: string },
  budget: number,
): ChatMessage[] {
  const exchanges: ChatMessage[][] = [];
  const { history } = options;
  for (let i = 0; i < history.length; i++) {
    const turn = history[i]!;
    const next = history[i + 1];
    if (turn.role === MessageRole.USER) {
      if (next?.role === MessageRole.ASSISTANT && next.status === MessageStatus.COMPLETE) {
        exchanges.push([
          { role: "user", content: turn.content },
          { role: "assistant", content: next.content },
        ]);
        i++;
      }
    } else if (turn.role === MessageRole.SYSTEM && turn.status === MessageStatus.COMPLETE) {
      exchanges.push([{ role: ROLE[turn.role], content: turn.content }]);
    }
    // An assistant message not preceded by its question is skipped: it answers something no longer here.
  }
  const system: ChatMessage[] = [options.systemPrompt, options.context]
    .filter((text): text is string => Boolean(text))
    .map((content) => ({ role: "system", content }));
  const user: ChatMessage = { role: "user", content: options.userMessage };
  let left = budget - [...system, user].reduce((n, m) => n + estimateTokens(m.content), 0);
  const kept: ChatMessage[][] = [];
  for (let i = exchanges.length - 1; i >= 0; i--) {
    const cost = exchanges[i]!.reduce((n, m) => n + estimateTokens(m.content), 0);
    if (cost > left) break;
    left -= cost;
    kept.unshift(exchanges[i]!);
  }
  return [...system, ...kept.flat(), user];
}
