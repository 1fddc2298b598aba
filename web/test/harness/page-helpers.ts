/** Small waits over playwright-core's locators (it has no `expect`). */
import type { Locator, Page } from "playwright-core";

/** Waits until the locator's text matches; fails with the last text seen. */
export async function waitForText(locator: Locator, expected: string | RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = (await locator.first().textContent({ timeout: 1000 }).catch(() => null)) ?? "";
    if (typeof expected === "string" ? last.includes(expected) : expected.test(last)) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`expected ${expected} in ${locator}, last text: "${last}"`);
}

/** The dev panel: moves the chain's clock by `seconds` and waits for the panel to say so. */
export async function advanceChainTime(page: Page, seconds: number): Promise<void> {
  await page.getByTestId("dev-seconds").fill(String(seconds));
  await page.getByTestId("dev-advance").click();
  await waitForText(page.getByTestId("dev-outcome"), `Advanced the clock by ${seconds} s`);
}

/** The dev panel: `amount` NSG from a dev account to the connected one. */
export async function getDevTokens(page: Page, amount: number): Promise<void> {
  await page.getByTestId("dev-amount").fill(String(amount));
  await page.getByTestId("dev-give-tokens").click();
  await waitForText(page.getByTestId("dev-outcome"), `Sent ${amount} NSG`);
}

/** Waits for the last transaction status on the page to be mined; fails with its message otherwise. */
export async function waitForMined(scope: Locator, timeoutMs = 30_000): Promise<void> {
  const status = scope.getByTestId("tx-status");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = await status.getAttribute("data-status", { timeout: 1000 }).catch(() => null);
    if (state === "mined") return;
    if (state === "failed") throw new Error(`transaction failed: ${await status.textContent()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`no mined transaction in ${scope} within ${timeoutMs} ms`);
}
