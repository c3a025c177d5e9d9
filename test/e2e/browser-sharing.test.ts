// Sharing a knowledge base as people do it: its owner shares it with a colleague's email from the page's sharing
// panel, the colleague (in their own browser session) sees it marked as shared and may read but not change it, and
// once the owner removes the share it is gone for them. Debian's chromium, driven by playwright-core.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, bootPlatform, gqlOk, login, type Platform } from "./harness.js";

const CHROMIUM = process.env.ODS_CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser)
  console.warn(`[browser] ${CHROMIUM} is missing (apt-get install chromium): the browser test is skipped`);

const COLLEAGUE = { email: "ana-sharing@example.com", password: "ana-sharing-password-1" };

describe.skipIf(!haveBrowser)("sharing a knowledge base in a browser", () => {
  let platform: Platform;
  let browser: Browser;
  let kbId: string;

  beforeAll(async () => {
    platform = await bootPlatform();
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

    const admin = await login(platform);
    await gqlOk(
      platform,
      "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
      { i: { ...COLLEAGUE, name: "Ana", roles: ["VIEWER"] } },
      admin,
    );
    const { createKnowledgeBase } = await gqlOk(
      platform,
      'mutation { createKnowledgeBase(input: { name: "Team handbook" }) { id } }',
      {},
      admin,
    );
    kbId = createKnowledgeBase.id as string;
    await gqlOk(
      platform,
      "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }",
      { i: { knowledgeBaseId: kbId, title: "Holidays", text: "Everyone gets 25 days of paid holiday a year." } },
      admin,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  /** A browser session of its own (cookies included), signed in as `user`. */
  async function signIn(user: { email: string; password: string }, errors: string[]): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(`${platform.url}/login`);
    await page.fill('input[name="email"]', user.email);
    await page.fill('input[name="password"]', user.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="composer"]');
    return page;
  }

  it("shares with a colleague as viewer, who may read but not change it, until the share is removed", async () => {
    const pageErrors: string[] = [];
    const owner = await signIn(ADMIN, pageErrors);
    await owner.goto(`${platform.url}/knowledge/${kbId}`);
    await owner.getByRole("heading", { name: "Team handbook" }).waitFor();
    // The owner's own knowledge base: no "shared with you" badge, and every control is there.
    expect(await owner.getByTestId("kb-access").count()).toBe(0);
    expect(await owner.getByTestId("upload-input").count()).toBe(1);

    const panel = owner.getByTestId("share-panel");
    await panel.getByText("Only you (and admins) can open it.").waitFor();

    // An email nobody has is refused, and the server's reason is on screen.
    await panel.locator('input[name="email"]').fill("nobody-sharing@example.com");
    await panel.getByRole("button", { name: "Share" }).click();
    const refusal = panel.getByRole("alert");
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain("There is no user with email nobody-sharing@example.com");
    expect(await panel.getByTestId("share").count()).toBe(0);

    await panel.locator('input[name="email"]').fill(COLLEAGUE.email);
    await panel.locator('select[name="permission"]').selectOption("VIEWER");
    await panel.getByRole("button", { name: "Share" }).click();
    const share = panel.getByTestId("share").filter({ hasText: COLLEAGUE.email });
    await share.waitFor();
    expect(await share.innerText()).toContain("Viewer");
    expect(await panel.getByRole("alert").count()).toBe(0);

    // The colleague, in a session of their own, finds it in their list marked as shared, without a delete button.
    const colleague = await signIn(COLLEAGUE, pageErrors);
    await colleague.goto(`${platform.url}/knowledge`);
    const listed = colleague.getByTestId("knowledge-base").filter({ hasText: "Team handbook" });
    await listed.waitFor();
    expect(await listed.getByTestId("shared-badge").innerText()).toBe("Shared");
    expect(await listed.getByRole("button", { name: "Delete Team handbook" }).count()).toBe(0);

    // Opening it: the badge says how it is shared; documents are listed but cannot be added, reindexed or deleted.
    await listed.getByRole("link", { name: "Team handbook" }).click();
    await colleague.waitForURL(/\/knowledge\/[^/]+$/);
    expect(await colleague.getByTestId("kb-access").innerText()).toBe("Shared with you · Viewer");
    const row = colleague.locator('[data-testid="document-row"][data-title="Holidays"]');
    await row.waitFor();
    expect(await colleague.getByTestId("upload-input").count()).toBe(0);
    expect(await colleague.getByRole("heading", { name: "Add documents" }).count()).toBe(0);
    expect(await row.getByRole("button", { name: "Delete Holidays" }).count()).toBe(0);
    expect(await row.getByRole("button", { name: "Reindex" }).count()).toBe(0);
    expect(await colleague.getByTestId("share-panel").count()).toBe(0);

    // The owner ends the share; the colleague no longer finds the knowledge base.
    await share.getByRole("button", { name: `Stop sharing with ${COLLEAGUE.email}` }).click();
    await share.waitFor({ state: "detached" });
    await panel.getByText("Only you (and admins) can open it.").waitFor();

    await colleague.reload();
    await colleague.getByRole("heading", { name: "Knowledge base not found" }).waitFor();
    await colleague.getByRole("link", { name: "← Knowledge bases" }).click();
    await colleague.getByText("No knowledge bases yet.").waitFor();
    expect(await colleague.getByTestId("knowledge-base").count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
