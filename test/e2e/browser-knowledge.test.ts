// A person's view of the knowledge-base pages: Debian's chromium, driven by playwright-core, creates a knowledge
// base, uploads a Markdown file through the page, watches its ingestion bar move to READY and searches it.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, bootPlatform, type Platform } from "./harness.js";

const CHROMIUM = process.env.ODS_CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser)
  console.warn(`[browser] ${CHROMIUM} is missing (apt-get install chromium): the browser test is skipped`);

/** Enough sections for many small chunks, so that embedding (one chunk per batch) reports progress in steps. */
const HANDBOOK = [
  "# Kettle handbook",
  "",
  "## Warranty",
  "",
  "The Aurora kettle comes with a warranty of 36 months from the date of purchase.",
  "",
  "## Care",
  "",
  "Descale the kettle every month with white vinegar, then rinse it twice with clean water.",
  "",
  ...Array.from({ length: 24 }, (_, i) =>
    [
      `## Note ${i + 1}`,
      "",
      `Section ${i + 1} describes accessory number ${i + 1}, its packaging, its colour and where it is stored.`,
      "",
    ].join("\n"),
  ),
].join("\n");

describe.skipIf(!haveBrowser)("the knowledge-base pages in a browser", () => {
  let platform: Platform;
  let browser: Browser;

  beforeAll(async () => {
    // One chunk per embedding batch: the bar then moves in many steps instead of jumping to the end.
    platform = await bootPlatform({ ODS_EMBED_BATCH_SIZE: "1" });
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

  it("creates a knowledge base, uploads a file, follows it to READY and finds it by search", async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));

    await page.goto(`${platform.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name="email"]', ADMIN.email);
    await page.fill('input[name="password"]', ADMIN.password);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="composer"]');

    // The chat's sidebar links to the knowledge bases.
    await page.getByRole("link", { name: "Knowledge bases" }).click();
    await page.waitForURL(/\/knowledge$/);
    await page.getByText("No knowledge bases yet.").waitFor();

    await page.fill('input[name="name"]', "Kettle handbook");
    await page.fill('textarea[name="description"]', "Everything about the Aurora kettle");
    await page.selectOption('select[name="strategy"]', "markdown");
    await page.fill('input[name="size"]', "200");
    await page.fill('input[name="overlap"]', "20");
    await page.getByRole("button", { name: "Create" }).click();
    await page.waitForURL(/\/knowledge\/[^/]+$/);
    await page.getByRole("heading", { name: "Kettle handbook" }).waitFor();
    expect(await page.getByTestId("kb-stats").innerText()).toContain("markdown, 200 chars / 20 overlap");

    // Record every value the ingestion bar shows, straight from the DOM, so that no step is missed between polls.
    // (A script string: this file is type-checked without the DOM library.)
    await page.evaluate(`
      window.progressSeen = [];
      new MutationObserver(() => {
        for (const bar of document.querySelectorAll('[data-testid="document-progress"]')) {
          const value = bar.getAttribute("aria-valuenow");
          if (window.progressSeen.at(-1) !== value) window.progressSeen.push(value);
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    `);

    await page.getByTestId("upload-input").setInputFiles({
      name: "kettle-handbook.md",
      mimeType: "text/markdown",
      buffer: Buffer.from(HANDBOOK),
    });

    const row = page.locator('[data-testid="document-row"][data-title="kettle-handbook.md"]');
    await row.waitFor();
    await page.waitForSelector('[data-testid="document-row"][data-status="READY"]', { timeout: 60_000 });
    expect(pageErrors).toEqual([]);
    expect(await row.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("100");
    const chunks = Number(await row.getByTestId("document-chunks").innerText());
    expect(chunks).toBeGreaterThan(10);
    // The upload's own line goes away once the document is added.
    expect(await page.getByTestId("upload").count()).toBe(0);

    const seen = ((await page.evaluate("window.progressSeen")) as string[]).map(Number);
    expect(seen.at(-1)).toBe(100);
    // The bar moved live: at least one value between empty and full was on screen, and it never went back.
    expect(seen.some((v) => v > 0 && v < 100)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    // The chunk browser shows the document's chunks with their text.
    await row.getByRole("button", { name: "Chunks" }).click();
    const browserPanel = page.getByTestId("chunk-browser");
    await browserPanel.getByTestId("chunk").first().waitFor();
    expect(await browserPanel.innerText()).toContain("Kettle handbook");

    // Editing a chunk's text and disabling it both stick, and the chunk says so.
    const firstChunk = browserPanel.getByTestId("chunk").first();
    await firstChunk.getByRole("button", { name: "Edit" }).click();
    await firstChunk.locator("textarea").fill("The Aurora kettle has a warranty of 36 months. Keep the receipt.");
    await firstChunk.getByRole("button", { name: "Save" }).click();
    await firstChunk.getByText("Keep the receipt.").waitFor();
    await firstChunk.getByText("edited", { exact: true }).waitFor();
    await firstChunk.getByRole("checkbox", { name: "Enabled" }).uncheck();
    await firstChunk.getByText("disabled", { exact: true }).waitFor();
    expect(await firstChunk.getByRole("checkbox", { name: "Enabled" }).isChecked()).toBe(false);

    // Search for a word of the file and see where it came from, and why.
    await page.fill('[data-testid="search-query"]', "descale vinegar");
    await page.selectOption('select[name="mode"]', "HYBRID");
    await page.click('[data-testid="search-submit"]');
    const first = page.getByTestId("search-result").first();
    await first.waitFor();
    const text = await first.innerText();
    expect(text).toContain("Descale the kettle every month");
    expect(text).toContain("kettle-handbook.md");
    expect(await first.getByTestId("search-why").innerText()).toMatch(/keyword \d+(\.\d+)? \(#1\)/);

    // A file that cannot be parsed fails, and its row says why; deleting it asks first.
    await page.getByTestId("upload-input").setInputFiles({
      name: "broken.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from("this is not a PDF"),
    });
    const broken = page.locator('[data-testid="document-row"][data-title="broken.pdf"]');
    await page.waitForSelector('[data-testid="document-row"][data-title="broken.pdf"][data-status="FAILED"]', {
      timeout: 30_000,
    });
    expect((await broken.getByTestId("document-error").innerText()).length).toBeGreaterThan(0);
    await broken.getByRole("button", { name: "Delete broken.pdf" }).click();
    await broken.getByRole("group").getByRole("button", { name: "Delete" }).click();
    await broken.waitFor({ state: "detached" });

    // Back on the list, the knowledge base shows its document and chunk counts.
    await page.getByRole("link", { name: "← Knowledge bases" }).click();
    const listed = page.getByTestId("knowledge-base").filter({ hasText: "Kettle handbook" });
    await listed.waitFor();
    expect(await listed.innerText()).toContain(`1 document · ${chunks} chunks`);
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: `${platform.dataDir}/knowledge.png`, fullPage: true });
  });
});
