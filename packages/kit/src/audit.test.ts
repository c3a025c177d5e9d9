import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AuditClient, audited, createAuditClient, toAuditEvent, type AuditEvent } from "./audit.js";
import { verifyInternalToken } from "./auth.js";
import { notFound } from "./errors.js";

const secret = "audit-client-secret-0123456789abcdef";

/** A loopback stand-in for the identity subgraph's `POST /internal/audit` that answers with `status()`. */
async function receiver(status: () => number = () => 202) {
  const batches: { events: Record<string, unknown>[]; service?: string }[] = [];
  let calls = 0;
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    calls += 1;
    let body = "";
    for await (const chunk of req) body += chunk;
    const code = status();
    if (code === 202) {
      const caller = await verifyInternalToken(secret, req.headers["x-ods-internal-token"] as string);
      batches.push({ ...(JSON.parse(body) as { events: Record<string, unknown>[] }), service: caller.service });
    }
    res.writeHead(code, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches,
    get calls() {
      return calls;
    },
    events: () => batches.flatMap((b) => b.events),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("AuditClient", () => {
  it("batches events recorded together into one POST carrying a service token", async () => {
    const identity = await receiver();
    servers.push(identity);
    const audit = createAuditClient({ identityUrl: identity.url, internalSecret: secret, service: "dataset" });
    for (let i = 0; i < 10; i++)
      audit.record({ action: "sql.run", caller: { userId: "u1", roles: ["editor"] }, resourceId: `d${i}` });
    await expect.poll(() => identity.events().length).toBe(10);
    expect(identity.calls).toBe(1);
    expect(identity.batches[0]!.service).toBe("dataset");
    expect(identity.events()[0]).toMatchObject({
      action: "sql.run",
      category: "data",
      outcome: "success",
      actorType: "user",
      actorId: "u1",
    });
    await audit.close();
  });

  it("never throws or waits while identity is down, and delivers once it answers, each event once", async () => {
    let up = false;
    const identity = await receiver(() => (up ? 202 : 503));
    servers.push(identity);
    const audit = createAuditClient({
      identityUrl: identity.url,
      internalSecret: secret,
      service: "workflow",
      client: { flushIntervalMs: 10, retryBaseMs: 20, retryMaxMs: 40 },
    });
    const started = performance.now();
    for (let i = 0; i < 25; i++) audit.record({ action: "workflow.run", resourceId: `w${i}` });
    expect(performance.now() - started).toBeLessThan(50);
    await expect.poll(() => identity.calls).toBeGreaterThanOrEqual(2);
    expect(identity.events()).toHaveLength(0);
    expect(audit.pending).toBe(25);
    up = true;
    await expect.poll(() => identity.events().length).toBe(25);
    expect(new Set(identity.events().map((e) => e.resourceId)).size).toBe(25);
    expect(audit.pending).toBe(0);
    await audit.close();
  });

  it("keeps at most maxBuffer events while undeliverable, dropping the oldest", async () => {
    const down = new AuditClient({ send: () => Promise.reject(new Error("connection refused")), maxBuffer: 5 });
    for (let i = 0; i < 12; i++) down.record({ action: "sql.run", resourceId: `q${i}` });
    expect(down.pending).toBe(5);
    await down.flush();
    expect(down.pending).toBe(5);
    const kept: AuditEvent[] = [];
    const up = new AuditClient({ send: async (events) => void kept.push(...events), maxBuffer: 5 });
    for (let i = 0; i < 12; i++) up.record({ action: "sql.run", resourceId: `q${i}` });
    await up.flush();
    expect(kept.map((e) => e.resourceId)).toEqual(["q7", "q8", "q9", "q10", "q11"]);
    expect(down.pending).toBe(5);
    await down.close(100);
  });

  it("drops a batch identity refuses as invalid instead of retrying it forever", async () => {
    const identity = await receiver(() => 400);
    servers.push(identity);
    const audit = createAuditClient({ identityUrl: identity.url, internalSecret: secret, service: "model" });
    audit.record({ action: "model.updated" });
    await audit.flush();
    expect(audit.pending).toBe(0);
    expect(identity.calls).toBe(1);
    await audit.close();
  });
});

describe("audit events", () => {
  it("take the actor from the caller and redact secret-looking details", () => {
    const e = toAuditEvent({
      action: "datasource.registered",
      caller: { userId: "u2", roles: ["editor"], apiKeyId: "k1" },
      details: { name: "warehouse", connection: { url: "postgres://u:pw@h/db" }, nested: { password: "x", rows: 3 } },
    });
    expect(e).toMatchObject({ actorId: "u2", actorType: "apikey", category: "data", outcome: "success" });
    expect(e.details).toEqual({
      name: "warehouse",
      connection: "[redacted]",
      nested: { password: "[redacted]", rows: 3 },
    });
    expect(JSON.stringify(e)).not.toContain("pw@h");
    expect(toAuditEvent({ action: "auth.login_failed", outcome: "failure" }).actorType).toBe("anonymous");
  });

  it("audited() records success with the result's id, or failure with the error's code, and rethrows", async () => {
    const seen: AuditEvent[] = [];
    const sink = { record: (input: Parameters<typeof toAuditEvent>[0]) => seen.push(toAuditEvent(input)) };
    await audited(
      sink,
      { action: "model.registered" },
      async () => ({ id: "m1" }),
      (m) => ({ resourceId: m.id }),
    );
    await expect(
      audited(sink, { action: "model.deleted", resourceId: "m2" }, () => Promise.reject(notFound("Model", "m2"))),
    ).rejects.toThrow();
    expect(seen.map((e) => [e.action, e.outcome, e.resourceId, e.details?.error])).toEqual([
      ["model.registered", "success", "m1", undefined],
      ["model.deleted", "failure", "m2", "NOT_FOUND"],
    ]);
  });
});
