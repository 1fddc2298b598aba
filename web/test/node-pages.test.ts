/**
 * The node pages end to end with the real stack: a Hardhat network with the contracts deployed,
 * the NS-LLM node serving the generated demo models (anchoring its audit log with Hardhat account
 * 0, batches every 2 s), the production build of the dApp and Debian's Chromium.
 *
 * - /node shows the node's health, the models it applied next to the registry, and live charts;
 *   pointed at a dead URL it says the node is unreachable and keeps retrying.
 * - /chat streams an answer token by token with its model, manifest and audit seq; Stop ends a
 *   long answer and the node cancels that generation.
 * - /audit verifies that answer's entry in the browser against AuditAnchor once anchored, and
 *   refuses, saying why, a proof the test forges in the browser (page.route).
 * - an adoption passed on chain (ns-llm propose + dev pass) shows on /node as applied and in sync,
 *   and /chat takes its governed limits.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import { buildApp, startApp, type TestApp } from "./harness/app.ts";
import { launchBrowser, screenshot, type TestBrowser } from "./harness/browser.ts";
import { startChain, type TestChain } from "./harness/chain.ts";
import { HARDHAT_ADDRESS_0, startDemoNode, type DemoNode } from "./harness/ns-demo-node.ts";
import { waitForText } from "./harness/page-helpers.ts";
import { freePort, waitUntil } from "./harness/processes.ts";

let chain: TestChain | undefined;
let node: DemoNode | undefined;
let app: TestApp | undefined;
let browser: TestBrowser | undefined;
/** The audit seq of the first chat answer, verified in the last tests. */
let answerSeq: number | undefined;

before(async () => {
  const build = await buildApp();
  console.log(`# next build: ${build.reused ? "reused" : "built"} in ${build.ms} ms`);
  chain = await startChain();
  const appPort = await freePort();
  node = await startDemoNode({ rpcUrl: chain.url, deploymentFile: chain.deploymentFile, corsOrigin: `http://127.0.0.1:${appPort}` });
  app = await startApp({ port: appPort, rpcUrl: chain.url, deploymentFile: chain.deploymentFile, nodeUrl: node.url });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await node?.stop();
  await chain?.stop();
});

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(new URL("/metrics", node!.url))).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    if (line[name.length] !== "{" && line[name.length] !== " ") continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

async function chat(content: string, maxTokens = 16): Promise<void> {
  const response = await fetch(new URL("/v1/chat/completions", node!.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content }], max_tokens: maxTokens }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  await response.arrayBuffer();
}

const attr = async (page: Page, testId: string, name: string) => page.getByTestId(testId).first().getAttribute(name);

test("/node: health, the applied models next to the registry, and live charts from /metrics", async () => {
  const page = await browser!.context.newPage();
  await page.goto(`${app!.url}/node`);
  await waitForText(page.getByTestId("health-status"), /ok|degraded/, 30_000);
  await waitForText(page.getByTestId("health-generation"), "ns-llm-demo-llama");
  await waitForText(page.getByTestId("health-embedding"), "ns-llm-demo-bert");

  // Nothing adopted on this fresh chain: the node serves its demo models, and the table says both.
  const generation = page.getByTestId("applied-generation");
  await waitForText(generation, "ns-llm-demo-llama");
  await waitForText(generation, "nothing adopted");
  assert.equal(await generation.getAttribute("data-status"), "nothing-adopted");

  // Traffic while the page scrapes every 3 s: the charts grow and the totals move.
  const requestsBefore = await metric("ns_llm_http_requests_total");
  for (let i = 0; i < 4; i++) {
    await chat(`dashboard traffic ${i}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  await waitUntil("five scrapes on the charts", async () => Number(await attr(page, "chart-requests", "data-points")) >= 5, 30_000);
  await waitUntil("the tokens total on the page", async () => Number((await page.getByTestId("total-tokens").textContent())?.replace(/\D/g, "")) > 0, 15_000);
  assert.ok((await metric("ns_llm_http_requests_total")) >= requestsBefore + 4);
  // Recharts drew a line for requests and for latency.
  await page.getByTestId("chart-requests").locator("path.recharts-curve").first().waitFor();
  await page.getByTestId("chart-tokens").locator("path.recharts-curve").first().waitFor();
  await waitUntil("a latency percentile", async () => /\d/.test((await page.getByTestId("chart-latency-value").textContent()) ?? ""), 15_000);
  // Answer validation: refusals per layer and the score distribution of the answers just made.
  await page.getByTestId("refusals-toxicity").waitFor();
  await waitUntil("the chat answers in the toxicity histogram", async () => {
    const caption = (await page.getByTestId("toxicity-histogram").textContent()) ?? "";
    return Number(/Toxicity of (\d+) answers/.exec(caption)?.[1] ?? 0) >= 4;
  }, 15_000);
  // The chain side: three contributors delegated on deploy (1000 NSG each of the supply).
  await waitForText(page.getByTestId("stat-delegated"), "delegated");
  await page.getByTestId("chart-proposal-states").locator(".recharts-surface").first().waitFor();
  console.log(`# screenshot ${await screenshot(page, "node")}`);
  await page.emulateMedia({ colorScheme: "dark" });
  console.log(`# screenshot ${await screenshot(page, "node-dark")}`);
  await page.close();
});

test("/node with an unreachable node URL says so, retries, and recovers when the URL is fixed", async () => {
  const page = await browser!.context.newPage();
  await page.goto(`${app!.url}/node`);
  await waitForText(page.getByTestId("health-status"), /ok|degraded/, 30_000);
  const dead = `http://127.0.0.1:${await freePort()}`;
  await page.getByRole("button", { name: "Settings" }).click();
  await page.locator("#node-url").fill(dead);
  await page.getByRole("button", { name: "Save" }).click();
  const problem = page.getByTestId("node-problem").first();
  await waitForText(problem, "is not reachable", 20_000);
  await waitForText(problem, /Retrying \(attempt \d+/);
  // Nothing the previous node said is shown as this one's.
  await page.getByTestId("health-generation").waitFor({ state: "detached", timeout: 10_000 });
  assert.match((await problem.textContent()) ?? "", new RegExp(dead.replace(/[.:/]/g, "\\$&")));
  console.log(`# screenshot ${await screenshot(page, "node-unreachable")}`);
  // Back to the default node: the notice goes, the health comes back.
  await page.getByRole("button", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Reset" }).click();
  await waitForText(page.getByTestId("health-status"), /ok|degraded/, 30_000);
  await page.getByTestId("node-problem").first().waitFor({ state: "detached", timeout: 20_000 });
  await page.close();
});

test("/chat: an answer streams token by token with its model, manifest and audit seq; Stop ends a long one and the node cancels it", async () => {
  const page = await browser!.context.newPage();
  await page.goto(`${app!.url}/chat`);
  await waitForText(page.getByTestId("chat-model-status"), "ns-llm-demo-llama", 30_000);

  // Record every length the answer's text goes through: more than two means it streamed.
  await page.evaluate(() => {
    const w = window as unknown as { __lengths: Set<number> };
    w.__lengths = new Set();
    new MutationObserver(() => {
      const answers = document.querySelectorAll('[data-testid="chat-answer-text"]');
      const last = answers[answers.length - 1];
      if (last) w.__lengths.add(last.textContent?.length ?? 0);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.getByTestId("chat-input").fill("Hello node, who are you?");
  await page.getByTestId("chat-send").click();
  const answer = page.getByTestId("chat-answer").first();
  await waitUntil("the answer to finish", async () => (await answer.getAttribute("data-status")) === "done", 60_000);
  const text = (await answer.getByTestId("chat-answer-text").textContent()) ?? "";
  assert.ok(text.length > 0, "the answer has text");
  const lengths = await page.evaluate(() => (window as unknown as { __lengths: Set<number> }).__lengths.size);
  assert.ok(lengths > 2, `the text grew in steps (${lengths} lengths seen)`);
  await waitForText(answer.getByTestId("chat-model"), "ns-llm-demo-llama");
  await waitForText(answer.getByTestId("chat-source"), "llm");
  const seq = await answer.getAttribute("data-audit-seq");
  assert.match(seq ?? "", /^\d+$/, "the answer carries its audit seq");
  answerSeq = Number(seq);
  assert.equal(await answer.getByTestId("chat-verify").getAttribute("href"), `/audit?seq=${answerSeq}`);

  // A long answer, stopped as soon as its first token shows (the demo model writes ~1,500 tokens/s,
  // faster than any person: the page's own observer presses the real Stop button).
  const maxTokens = page.locator("#chat-max-tokens");
  await maxTokens.fill((await maxTokens.getAttribute("max")) ?? "512");
  const abortsBefore = await metric("ns_llm_generations_total", { finish: "abort" });
  await page.evaluate(() => {
    const observer = new MutationObserver(() => {
      const answers = document.querySelectorAll('[data-testid="chat-answer-text"]');
      const last = answers[answers.length - 1];
      const stop = document.querySelector<HTMLButtonElement>('[data-testid="chat-stop"]');
      if (answers.length >= 2 && last?.textContent && stop) {
        observer.disconnect();
        stop.click();
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.getByTestId("chat-input").fill("Tell me a very long story about the network.");
  await page.getByTestId("chat-send").click();
  const long = page.getByTestId("chat-answer").nth(1);
  await waitUntil("the long answer to stop", async () => (await long.getAttribute("data-status")) === "stopped", 30_000);
  await long.getByTestId("chat-stopped").waitFor();
  const stoppedText = (await long.getByTestId("chat-answer-text").textContent()) ?? "";
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await long.getByTestId("chat-answer-text").textContent()) ?? "", stoppedText, "nothing arrives after Stop");
  // The node saw the connection close and cancelled the generation.
  await waitUntil("the node to count an aborted generation", async () => (await metric("ns_llm_generations_total", { finish: "abort" })) > abortsBefore, 15_000);
  await page.getByTestId("chat-send").waitFor();
  console.log(`# screenshot ${await screenshot(page, "chat")}`);
  await page.emulateMedia({ colorScheme: "dark" });
  console.log(`# screenshot ${await screenshot(page, "chat-dark")}`);
  await page.emulateMedia({ colorScheme: "light" });

  // From the answer to its verification.
  await answer.getByTestId("chat-verify").click();
  await page.waitForURL(`**/audit?seq=${answerSeq}`);
  await page.getByTestId("verify-panel").waitFor();
  await page.close();
});

test("/audit: the chat answer's entry verifies in the browser against AuditAnchor once anchored", async (t) => {
  if (answerSeq === undefined) return t.skip("needs the chat test's answer");
  const page = await browser!.context.newPage();
  await page.goto(`${app!.url}/audit?seq=${answerSeq}`);
  const result = page.getByTestId("verify-result");
  // The batch timer closes and anchors within seconds; a pending check is re-run every 5 s.
  await waitUntil("the entry to verify", async () => (await result.getAttribute("data-verdict", { timeout: 1000 }).catch(() => null)) === "verified", 90_000);
  for (const id of ["proof", "entry", "leaf", "anchored", "range", "path", "chain-root"]) {
    assert.equal(await page.getByTestId(`check-${id}`).getAttribute("data-status"), "pass", `check ${id}`);
  }
  await waitForText(page.getByTestId("verify-verdict"), `Entry ${answerSeq} is leaf`);
  // The operator is the node's anchoring key, Hardhat account 0.
  await waitForText(page.getByTestId("operator-used"), HARDHAT_ADDRESS_0);
  // The entry is listed, and its batch is shown anchored with its transaction and block.
  await page.locator(`[data-testid="audit-entry"][data-seq="${answerSeq}"]`).waitFor();
  await page.locator('[data-testid="audit-batch"][data-anchored="true"]').first().waitFor({ timeout: 20_000 });
  console.log(`# screenshot ${await screenshot(page, "audit-verified")}`);
  await page.emulateMedia({ colorScheme: "dark" });
  console.log(`# screenshot ${await screenshot(page, "audit-verified-dark")}`);
  await page.close();
});

test("/audit: a proof forged in transit is refused, and the page says why", async (t) => {
  if (answerSeq === undefined) return t.skip("needs the chat test's answer");
  const seq = answerSeq;
  const page = await browser!.context.newPage();

  // 1. One flipped bit in the audit path (or, in a batch of one entry, in the stated root).
  await page.route(`**/api/audit/${seq}/proof`, async (route) => {
    const response = await route.fetch();
    const proof = (await response.json()) as { proof: string[]; root: string };
    const flip = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}`;
    if (proof.proof.length > 0) proof.proof[0] = flip(proof.proof[0]!);
    else proof.root = flip(proof.root);
    await route.fulfill({ response, json: proof });
  });
  await page.goto(`${app!.url}/audit?seq=${seq}`);
  const result = page.getByTestId("verify-result");
  await waitUntil("a verdict", async () => (await result.getAttribute("data-verdict", { timeout: 1000 }).catch(() => null)) !== null, 30_000);
  assert.equal(await result.getAttribute("data-verdict"), "failed");
  await waitForText(page.getByTestId("verify-verdict"), "does not reach the batch root");
  assert.equal(await page.getByTestId("check-leaf").getAttribute("data-status"), "pass");
  assert.equal(await page.getByTestId("check-path").getAttribute("data-status"), "fail");
  console.log(`# screenshot ${await screenshot(page, "audit-forged")}`);
  await page.unrouteAll();

  // 2. The entry itself altered (its output hash changed): the leaf no longer matches.
  await page.route(`**/api/audit/${seq}/proof`, async (route) => {
    const response = await route.fetch();
    const proof = (await response.json()) as { entry: string };
    proof.entry = proof.entry.replace(/"outputSha256":"0x([0-9a-f])/, (_, c: string) => `"outputSha256":"0x${c === "0" ? "1" : "0"}`);
    await route.fulfill({ response, json: proof });
  });
  await page.goto(`${app!.url}/audit?seq=${seq}`);
  await waitUntil("a verdict", async () => (await result.getAttribute("data-verdict", { timeout: 1000 }).catch(() => null)) !== null, 30_000);
  assert.equal(await result.getAttribute("data-verdict"), "failed");
  await waitForText(page.getByTestId("verify-verdict"), "Leaf mismatch");
  assert.equal(await page.getByTestId("check-leaf").getAttribute("data-status"), "fail");
  await page.unrouteAll();
  await page.close();
});

test("/node and /chat follow an adoption passed on chain: not applied yet, then in sync, and the chat takes the governed limits", async (t) => {
  const page = await browser!.context.newPage();
  await page.goto(`${app!.url}/node`);
  const parameters = page.getByTestId("applied-parameters");
  await waitUntil("the parameters row", async () => (await parameters.getAttribute("data-status")) === "nothing-adopted", 30_000);

  // A parameters manifest proposed and passed with the project's own CLI, through this node and chain.
  const dir = await mkdtemp(path.join(tmpdir(), "ns-web-p2-manifest-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, "parameters.json");
  const manifest = { schema: "ns-llm.manifest/v1", role: "parameters", name: "p2-e2e-parameters", description: "Cooler and shorter, for the dashboard test", parameters: { temperature: 0.3, maxTokens: 64 } };
  await writeFile(file, JSON.stringify(manifest, null, 2));
  const proposed = await node!.cli<{ proposalId: string; cid: string }>("propose", "--role", "parameters", "--manifest", file);
  const passed = await node!.cli<{ state: string }>("dev", "pass", proposed.proposalId);
  assert.equal(passed.state, "Executed");

  // The registry now holds v1; the follower applies it within a poll or two.
  await waitUntil("the node to apply v1", async () => (await parameters.getAttribute("data-status")) === "in-sync", 60_000);
  await waitForText(parameters, "v1");
  assert.equal(await parameters.getByTestId("applied-cid-parameters").getAttribute("data-value"), proposed.cid);
  await page.getByTestId("sync-warning").waitFor({ state: "detached", timeout: 10_000 });
  console.log(`# screenshot ${await screenshot(page, "node-adopted")}`);

  // The chat's settings take the governed cap and default.
  await page.goto(`${app!.url}/chat`);
  await waitUntil("the governed max tokens", async () => (await page.locator("#chat-max-tokens").getAttribute("max")) === "64", 20_000);
  assert.equal(await page.locator("#chat-max-tokens").inputValue(), "64");
  assert.equal(await page.locator("#chat-temperature").inputValue(), "0.3");
  await page.close();
});
