/** Debian's Chromium driven by playwright-core, with a fresh profile each time; never a downloaded browser. */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { RESULTS_DIR } from "./paths.ts";

export const CHROMIUM = process.env.NS_LLM_CHROMIUM ?? "/usr/bin/chromium";

const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export type TestBrowser = { context: BrowserContext; close(): Promise<void> };

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(path.join(tmpdir(), "ns-web-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true, // playwright passes --headless
    args: FLAGS,
    viewport: { width: 1366, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot to web/test-results/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Runs `body`; when it throws, saves a screenshot `failed-<name>.png` first, then rethrows. */
export async function withFailureScreenshot<T>(page: Page, name: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const file = await screenshot(page, `failed-${name}`).catch(() => undefined);
    if (file && error instanceof Error) error.message += `\n(screenshot: ${file})`;
    throw error;
  }
}
