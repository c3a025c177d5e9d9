// A person's view: Debian's chromium, driven by playwright-core, signs in and watches tokens stream into the page.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, bootPlatform, type Platform } from "./harness.js";

const CHROMIUM = process.env.ODS_CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser)
  console.warn(`[browser] ${CHROMIUM} is missing (apt-get install chromium): the browser test is skipped`);

describe.skipIf(!haveBrowser)("the web app in a browser", () => {
  let platform: Platform;
  let browser: Browser;

  beforeAll(async () => {
    platform = await bootPlatform({ ODS_BUILTIN_TOKEN_DELAY_MS: "40" });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  /** Opens the app, is sent to the sign-in page, signs in as the admin and waits for the chat's composer. */
  async function signIn(page: Page): Promise<void> {
    await page.goto(`${platform.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name="email"]', ADMIN.email);
    await page.fill('input[name="password"]', ADMIN.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="composer"]');
  }

  it("signs in and shows the answer streaming in, token by token", async () => {
    const page = await browser.newPage();
    const sockets: string[] = [];
    const subscribed: string[] = [];
    page.on("websocket", (socket) => {
      sockets.push(socket.url());
      socket.on("framesent", ({ payload }) => {
        const message = JSON.parse(String(payload)) as { type: string; payload?: { operationName?: string } };
        if (message.type === "subscribe") subscribed.push(message.payload?.operationName ?? "");
      });
    });
    const posted: string[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST" && request.url().endsWith("/graphql")) posted.push(request.postData() ?? "");
    });
    await signIn(page);

    await page.fill('[data-testid="composer"]', "Hello from the browser");
    await page.click('[data-testid="send"]');
    const answer = page.locator('[data-testid="assistant-message"]').last();
    await answer.waitFor();

    // Sample the visible text while it streams: it must grow in several steps before the answer completes.
    const lengths = new Set<number>();
    const deadline = Date.now() + 30_000;
    let status = "";
    while (Date.now() < deadline) {
      status = (await answer.getAttribute("data-status")) ?? "";
      if (status === "STREAMING") lengths.add((await answer.innerText()).length);
      if (status === "COMPLETE") break;
      await page.waitForTimeout(30);
    }
    expect(status).toBe("COMPLETE");
    expect([...lengths].filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    expect(await answer.innerText()).toContain("builtin-offline");
    // The first message made the conversation: it is listed, titled after the message, and open.
    const open = page.locator('nav[aria-label="Conversations"] button[aria-current="page"]');
    expect((await open.innerText()).trim()).toBe("Hello from the browser");
    await page.screenshot({ path: `${platform.dataDir}/chat.png` });

    // A second message after a pause longer than a quick reply: its answer streams on the same connection, with
    // no new socket (and handshake) before its first token.
    await page.waitForTimeout(4_000);
    await page.fill('[data-testid="composer"]', "And a second question");
    await page.click('[data-testid="send"]');
    const second = page.locator('[data-testid="assistant-message"]').nth(1);
    await second.waitFor();
    await expect.poll(() => second.getAttribute("data-status"), { timeout: 30_000 }).toBe("COMPLETE");
    expect(sockets.filter((url) => url.endsWith("/graphql"))).toHaveLength(1);
    // Each message went out and its answer came back through one `chat` subscription, with no request before it.
    expect(subscribed).toEqual(["Chat", "Chat"]);
    expect(posted.filter((body) => body.includes("sendMessage"))).toEqual([]);
  });

  it("sends a message after the access cookie lapsed: the session is renewed, not ended", async () => {
    const page = await browser.newPage();
    const refreshes: number[] = [];
    page.on("response", (response) => {
      if (new URL(response.url()).pathname === "/auth/refresh") refreshes.push(response.status());
    });
    await signIn(page);
    await page.waitForLoadState("networkidle");

    // The access cookie lapses while the page sits idle (it lives 15 minutes) and only the refresh cookie is left.
    // A message goes over the WebSocket alone, which the gateway does not refresh on its way as it does HTTP requests.
    await page.context().clearCookies({ name: "ods_session" });
    await page.fill('[data-testid="composer"]', "After a long pause");
    await page.click('[data-testid="send"]');
    const answer = page.locator('[data-testid="assistant-message"]').last();
    await answer.waitFor();
    await expect.poll(() => answer.getAttribute("data-status"), { timeout: 30_000 }).toBe("COMPLETE");
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await page.getByRole("alert").count()).toBe(0);
    expect(refreshes).toEqual([200]);
  });

  it("goes on with the answer after the connection drops mid-stream, from the last piece received", async () => {
    const page = await browser.newPage();
    const subscribed: Array<{ operationName?: string; variables?: { afterSeq?: number | null } }> = [];
    let drop = true;
    // Between the page and the gateway: the first connection is cut after the answer's third piece of text.
    await page.routeWebSocket(/\/graphql$/, (ws) => {
      const server = ws.connectToServer();
      let tokens = 0;
      ws.onMessage((frame) => {
        const message = JSON.parse(String(frame)) as { type: string; payload?: (typeof subscribed)[number] };
        if (message.type === "subscribe" && message.payload) subscribed.push(message.payload);
        server.send(frame);
      });
      server.onMessage((frame) => {
        ws.send(frame);
        const message = JSON.parse(String(frame)) as { payload?: { data?: { chat?: { __typename: string } } } };
        if (drop && message.payload?.data?.chat?.__typename === "MessageToken" && ++tokens === 3) {
          drop = false;
          void ws.close({ code: 1012, reason: "restarting" });
          void server.close();
        }
      });
    });
    await signIn(page);

    await page.fill('[data-testid="composer"]', "Through a bad connection");
    await page.click('[data-testid="send"]');
    const answer = page.locator('[data-testid="assistant-message"]').last();
    await answer.waitFor();
    await expect.poll(() => answer.getAttribute("data-status"), { timeout: 30_000 }).toBe("COMPLETE");
    expect(await answer.innerText()).toContain("builtin-offline");
    expect(await page.getByRole("alert").count()).toBe(0);
    expect(drop).toBe(false);
    // Sent once through `chat`; after the drop, the stream was picked up again after the last piece received.
    expect(subscribed.map((s) => s.operationName)).toEqual(["Chat", "MessageStream"]);
    expect(subscribed[1]?.variables?.afterSeq).toBeGreaterThanOrEqual(3);
  });

  it("says a message may not have been sent when the server lost it unconfirmed, and shows it if it arrived", async () => {
    const page = await browser.newPage();
    // Between the page and the gateway: `chat`'s confirmation is replaced by the error the gateway sends when it
    // loses the conversation service mid-request. The server did store the message.
    await page.routeWebSocket(/\/graphql$/, (ws) => {
      const server = ws.connectToServer();
      let lost = false;
      ws.onMessage((frame) => server.send(frame));
      server.onMessage((frame) => {
        const message = JSON.parse(String(frame)) as {
          id?: string;
          payload?: { data?: { chat?: { __typename: string } } };
        };
        if (message.payload?.data?.chat?.__typename === "MessageStarted") lost = true;
        if (!lost || message.payload?.data?.chat === undefined) return ws.send(frame);
        if (message.payload.data.chat.__typename !== "MessageStarted") return;
        const error = { message: "The subscription was interrupted", extensions: { code: "UPSTREAM_UNAVAILABLE" } };
        ws.send(JSON.stringify({ type: "next", id: message.id, payload: { errors: [error] } }));
        ws.send(JSON.stringify({ type: "complete", id: message.id }));
      });
    });
    await signIn(page);

    await page.fill('[data-testid="composer"]', "Lost on its way");
    await page.click('[data-testid="send"]');
    await expect
      .poll(() => page.getByRole("alert").innerText(), { timeout: 10_000 })
      .toContain("may not have been sent");
    // The composer keeps the text, and the conversation the message started is listed: it did arrive.
    expect(await page.inputValue('[data-testid="composer"]')).toBe("Lost on its way");
    const listed = page.locator('nav[aria-label="Conversations"] button', { hasText: "Lost on its way" });
    await listed.waitFor({ timeout: 10_000 });
    await listed.click();
    await expect.poll(() => page.locator('[data-testid="user-message"]').allInnerTexts()).toEqual(["Lost on its way"]);
  });
});
