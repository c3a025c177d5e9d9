import type { Caller } from "@ods/kit";
import { signInternalToken } from "@ods/kit";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countTokens } from "../src/services/text.js";
import { bootModel, secret } from "./usage-harness.js";

const alice: Caller = { userId: "00000000-0000-4000-8000-0000000a11ce", roles: ["editor"], apiKeyId: "key-alice" };
const bob: Caller = { userId: "00000000-0000-4000-8000-000000000b0b", roles: ["viewer"] };
const admin: Caller = { userId: "00000000-0000-4000-8000-0000000ad111", roles: ["admin"] };
const conversation: Caller = { userId: bob.userId, roles: ["viewer"], service: "conversation" };

const USAGE = `query($id: ID!, $since: DateTime) {
  model(id: $id) {
    usage(since: $since) {
      requests promptTokens completionTokens errors cancelled cost latencyP50Ms latencyP95Ms latencyP99Ms ttftP50Ms ttftP95Ms
    }
    limits { requestsPerMinute tokensPerDay }
    pricePer1kPrompt pricePer1kCompletion
  }
}`;
const REPORT = `query($groupBy: [UsageGroupBy!]!, $since: DateTime, $until: DateTime) {
  usageReport(groupBy: $groupBy, since: $since, until: $until) {
    day userId user { id } apiKeyId modelId modelName requests promptTokens completionTokens errors cancelled cost
  }
}`;

let env: Awaited<ReturnType<typeof bootModel>>;
let pricedId: string;
const question = [{ role: "user" as const, content: "Say hello to the whole team" }];
const promptCount = countTokens(question[0]!.content);

beforeAll(async () => {
  env = await bootModel({ ODS_USAGE_FLUSH_MS: 50 });
  pricedId = await env.register(alice, {
    name: "priced-chat",
    upstreamModel: "tiny-chat",
    pricePer1kPrompt: 1,
    pricePer1kCompletion: 2,
  });
  await env.register(alice, { name: "refusing-chat", upstreamModel: "long-chat" });
});

afterAll(async () => {
  await env?.close();
});

describe("usage accounting", () => {
  it("records each call once, with the upstream's usage or counted tokens, timings and cost", async () => {
    const openai = await env.client(alice);
    const whole = await openai.chat.completions.create({ model: "priced-chat", messages: question });
    expect(whole.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 4 });

    // The upstream reports usage when asked to …
    const reported = await openai.chat.completions.create({
      model: "priced-chat",
      messages: question,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of reported) void chunk;
    // … and not otherwise: then the prompt and the streamed text are counted with the tokenizer.
    const counted = await openai.chat.completions.create({ model: "priced-chat", messages: question, stream: true });
    let text = "";
    for await (const chunk of counted) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Hello from the upstream.");

    const result = await env.gql(USAGE, { id: pricedId }, alice);
    expect(result.errors).toBeUndefined();
    const usage = result.data!.model.usage;
    expect(usage).toMatchObject({
      requests: 3,
      promptTokens: 5 + 5 + promptCount,
      completionTokens: 4 + 4 + countTokens(text),
      errors: 0,
      cancelled: 0,
    });
    expect(usage.cost).toBeCloseTo(((10 + promptCount) / 1000) * 1 + (12 / 1000) * 2, 9);
    for (const key of ["latencyP50Ms", "latencyP95Ms", "latencyP99Ms", "ttftP50Ms", "ttftP95Ms"]) {
      expect(usage[key]).toBeGreaterThanOrEqual(0);
    }
    expect(usage.ttftP95Ms).toBeLessThanOrEqual(usage.latencyP99Ms);
    expect(result.data!.model).toMatchObject({ pricePer1kPrompt: 1, pricePer1kCompletion: 2 });
    expect(result.data!.model.limits).toEqual({ requestsPerMinute: null, tokensPerDay: null });
  });

  it("records failures with their code and calls of services for their user", async () => {
    const openai = await env.client(conversation);
    await expect(openai.chat.completions.create({ model: "refusing-chat", messages: question })).rejects.toMatchObject({
      status: 400,
      code: "context_length_exceeded",
    });
    const embedded = await openai.embeddings.create({ model: "builtin-embedder", input: ["one two", "three"] });
    expect(embedded.usage.prompt_tokens).toBe(3);

    const rows = (await env.gql(REPORT, { groupBy: ["USER", "MODEL"] }, bob)).data!.usageReport;
    expect(rows).toHaveLength(2);
    const refused = rows.find((r: { modelName: string }) => r.modelName === "refusing-chat");
    // Refused before answering: nothing was generated, so no tokens are charged.
    expect(refused).toMatchObject({ userId: bob.userId, requests: 1, errors: 1, promptTokens: 0, cost: 0 });
    expect(rows.find((r: { modelName: string }) => r.modelName === "builtin-embedder")).toMatchObject({
      user: { id: bob.userId },
      requests: 1,
      promptTokens: 3,
      completionTokens: 0,
    });
  });

  it("shows users their own usage and admins everyone's, grouped and as CSV", async () => {
    const mine = (await env.gql(REPORT, { groupBy: ["USER"] }, alice)).data!.usageReport;
    expect(mine).toEqual([expect.objectContaining({ userId: alice.userId, requests: 3, apiKeyId: null })]);
    const all = (await env.gql(REPORT, { groupBy: ["USER", "API_KEY"] }, admin)).data!.usageReport;
    expect(all.map((r: { userId: string; apiKeyId: string | null }) => [r.userId, r.apiKeyId]).sort()).toEqual(
      [
        [alice.userId, "key-alice"],
        [bob.userId, null],
      ].sort(),
    );
    const today = new Date().toISOString().slice(0, 10);
    const future = (await env.gql(REPORT, { groupBy: ["DAY"], since: "2999-01-01T00:00:00Z" }, admin)).data!;
    expect(future.usageReport).toEqual([]);
    const byDay = (await env.gql(REPORT, { groupBy: ["DAY"] }, admin)).data!.usageReport;
    expect(byDay).toEqual([expect.objectContaining({ day: today, requests: 5, errors: 1 })]);

    // Bob's view of Alice's model counts only his own calls (none); Alice, its owner, sees every caller's.
    expect((await env.gql(USAGE, { id: pricedId }, bob)).data!.model.usage.requests).toBe(0);

    const csv = async (caller: Caller, query: string) =>
      fetch(`${env.base}/v1/usage.csv?${query}`, {
        headers: { authorization: `Bearer ${await signInternalToken(secret, caller)}` },
      });
    const own = await csv(bob, "groupBy=user,model");
    expect(own.status).toBe(200);
    expect(own.headers.get("content-type")).toMatch(/^text\/csv/);
    const ownLines = (await own.text()).trimEnd().split("\r\n");
    expect(ownLines[0]).toMatch(/^userId,modelId,modelName,requests,/);
    expect(ownLines).toHaveLength(3);
    expect(ownLines.slice(1).every((l) => l.startsWith(bob.userId!))).toBe(true);

    const everyone = await (await csv(admin, `groupBy=DAY&since=${today}`)).text();
    expect(everyone.trimEnd().split("\r\n")[1]).toMatch(new RegExp(`^${today},5,`));

    const bad = await csv(admin, "groupBy=WEEK");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain("unknown WEEK");
  });

  it("counts a stream the client abandons as cancelled, once", async () => {
    await env.register(alice, { name: "slow-priced", upstreamModel: "slow-chat" });
    const openai = new OpenAI({
      baseURL: `${env.base}/v1`,
      apiKey: await signInternalToken(secret, alice),
      maxRetries: 0,
    });
    const stream = await openai.chat.completions.create({ model: "slow-priced", messages: question, stream: true });
    let chunks = 0;
    // Leaving the loop closes the connection, as a client that goes away does.
    for await (const chunk of stream) {
      void chunk;
      if (++chunks === 3) break;
    }
    // The route records the call when it notices the closed connection.
    let usage: { requests: number; cancelled: number; completionTokens: number } | undefined;
    for (let i = 0; i < 50; i++) {
      const rows = (await env.gql(REPORT, { groupBy: ["MODEL"] }, alice)).data!.usageReport;
      const row = rows.find((r: { modelName: string }) => r.modelName === "slow-priced");
      if (row) {
        usage = row;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(usage).toMatchObject({ requests: 1, errors: 0, cancelled: 1 });
    expect(usage!.completionTokens).toBeGreaterThanOrEqual(2);
  });
});
