/**
 * The dApp end to end, in a real browser (Debian's Chromium) with a real wallet (an EIP-6963
 * provider backed by the Hardhat node's unlocked accounts), a real chain with the contracts
 * deployed, the production build (`next start`) and the real NS-LLM node for manifests.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { createWalletClient, encodeFunctionData, http, parseEventLogs, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { modelRegistryAbi, nsGovernorAbi, roleId } from "@ns-llm/contracts";
import { buildApp, startApp, type TestApp } from "./harness/app.ts";
import { launchBrowser, screenshot, withFailureScreenshot } from "./harness/browser.ts";
import { startChain, type TestChain } from "./harness/chain.ts";
import { startNsNode, type TestNode } from "./harness/ns-node.ts";
import { advanceChainTime, getDevTokens, waitForMined, waitForText } from "./harness/page-helpers.ts";
import { freePort } from "./harness/processes.ts";
import { installWallet } from "./harness/wallet.ts";

let chain: TestChain | undefined;
let app: TestApp | undefined;
let node: TestNode | undefined;
let nodeMissing: string | undefined;

before(async () => {
  const build = await buildApp();
  console.log(`# next build: ${build.reused ? "reused" : "built"} in ${build.ms} ms`);
  chain = await startChain();
  const appPort = await freePort();
  const started = await startNsNode({ corsOrigin: `http://127.0.0.1:${appPort}` });
  node = started.node;
  nodeMissing = started.missing;
  if (nodeMissing) console.log(`# no manifest node: ${nodeMissing}`);
  // Without a node the app is pointed at a port nobody listens on: it says the node is unreachable.
  const nodeUrl = node?.url ?? `http://127.0.0.1:${await freePort()}`;
  app = await startApp({ port: appPort, rpcUrl: chain.url, deploymentFile: chain.deploymentFile, nodeUrl });
});

after(async () => {
  await app?.stop();
  await node?.stop();
  await chain?.stop();
});

test("a parameters change goes from the form to the registry: connect, delegate, propose, vote, queue, execute", async (t) => {
  const started = Date.now();
  const step = (what: string) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  if (!node) return t.skip(`needs the node's POST /api/manifests: ${nodeMissing}`);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  await installWallet(browser.context, { rpcUrl: chain!.url, account: chain!.accounts[9]!, chainId: 31337 });
  const page = await browser.context.newPage();
  await withFailureScreenshot(page, "parameters-flow", async () => {
  await page.goto(app!.url);

  // Connect: the wallet announced itself by EIP-6963.
  step("connect");
  await page.getByTestId("state-disconnected").getByRole("button", { name: "Connect NS Test Wallet" }).click();
  await page.getByTestId("state-ready").waitFor();

  // A fresh account: dev tokens from the dev panel, then delegation to itself.
  step("dev tokens and delegation");
  await getDevTokens(page, 500);
  await waitForText(page.getByTestId("token-balance"), "500 NSG");
  await page.getByTestId("state-not-delegated").waitFor();
  await page.getByTestId("delegate-self").click();
  await waitForMined(page.getByTestId("account-panel"));
  await waitForText(page.getByTestId("voting-power"), "500 NSG");
  await waitForText(page.getByTestId("delegate"), "yourself");

  // Propose a parameters change from the form.
  step("propose from the form");
  await page.getByRole("navigation").getByRole("link", { name: "Propose" }).click();
  const form = page.getByTestId("form-parameters");
  await form.waitFor();
  // Checked in the browser first: a temperature above 2 is refused and nothing is published.
  await form.getByLabel("Name").fill("parameters-e2e-focused");
  await form.getByLabel("Temperature").fill("3");
  await page.getByTestId("publish-and-propose").click();
  await waitForText(page.getByTestId("schema-errors"), "parameters.temperature must be <= 2");
  assert.equal(await page.getByTestId("published-cid").count(), 0);
  await form.getByLabel("Description", { exact: true }).fill("Cooler sampling and shorter answers");
  await form.getByLabel("Temperature").fill("0.4");
  await form.getByLabel("Max tokens").fill("200");
  await form.getByLabel("System prompt").fill("Answer briefly.");
  await form.getByLabel("Top-k").fill("40");
  await form.getByLabel("Deny patterns").fill("private key\nseed phrase");
  await page.getByTestId("publish-and-propose").click();
  await page.getByTestId("proposal-created").waitFor({ timeout: 60_000 });
  const cid = await page.getByTestId("published-cid").getAttribute("data-value");
  const digest = await page.getByTestId("published-digest").getAttribute("data-value");
  assert.ok(cid && cid.length > 10, `a CID, got ${cid}`);
  assert.match(digest ?? "", /^0x[0-9a-f]{64}$/);
  await screenshot(page, "propose");

  // The proposal page: the manifest through the node, the decoded action.
  step("proposal page");
  await page.getByTestId("open-proposal").click();
  await waitForText(page.getByTestId("proposal-title"), "Adopt parameters-e2e-focused for parameters");
  await waitForText(page.getByTestId("manifest-name"), "parameters-e2e-focused");
  assert.equal(await page.getByTestId("action-cid").getAttribute("data-value"), cid);
  await page.getByTestId("diff-first").waitFor();

  // Vote For once voting opens.
  step("vote");
  await advanceChainTime(page, 60);
  await waitForText(page.getByTestId("proposal-header").getByTestId("proposal-state"), "Active");
  await waitForText(page.getByTestId("power-snapshot"), "500 NSG");
  await page.getByTestId("support-For").click();
  await page.getByTestId("vote-reason").fill("Shorter answers serve our users better");
  await page.getByTestId("cast-vote").click();
  await waitForMined(page.getByTestId("vote-panel"));
  await page.getByTestId("has-voted").waitFor();
  await waitForText(page.getByTestId("votes-for"), "500 NSG");

  // Past the voting period: passed; queue; past the timelock delay: execute.
  step("queue and execute");
  await advanceChainTime(page, 400);
  const header = page.getByTestId("proposal-header");
  await waitForText(header.getByTestId("proposal-state"), "Succeeded");
  await waitForText(header.getByTestId("quorum"), "quorum reached");
  await page.getByTestId("queue").click();
  await waitForText(header.getByTestId("proposal-state"), "Queued");
  await advanceChainTime(page, 61);
  await page.getByTestId("execute").click();
  await waitForText(header.getByTestId("proposal-state"), "Executed");

  // The registry now holds the proposal's manifest.
  step("registry");
  await page.getByTestId("registry-now").waitFor();
  assert.equal(await page.getByTestId("registry-now-cid").getAttribute("data-value"), cid);
  await screenshot(page, "proposal-executed");
  step("list");

  await page.getByRole("navigation").getByRole("link", { name: "Proposals" }).click();
  await page.getByTestId("registry-cid-parameters").waitFor();
  assert.equal(await page.getByTestId("registry-cid-parameters").getAttribute("data-value"), cid);
  await waitForText(page.getByTestId("proposal-row").first(), "Executed");
  await screenshot(page, "proposals");

  // The same pages for a person whose system is in dark mode, and the model adoption form.
  await page.emulateMedia({ colorScheme: "dark" });
  await screenshot(page, "proposals-dark");
  await page.getByRole("navigation").getByRole("link", { name: "Propose" }).click();
  await page.getByTestId("kind-model").click();
  await page.getByTestId("form-model").waitFor();
  await screenshot(page, "propose-model-dark");
  step("done");
  });
});

test("a proposal that misses quorum shows Defeated and offers no queue or execute", async (t) => {
  const started = Date.now();
  const step = (what: string) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const account = chain!.accounts[8]!;
  // This wallet starts on another chain: the app offers to switch.
  step("connect on the wrong chain");
  await installWallet(browser.context, { rpcUrl: chain!.url, account, chainId: 31337, startChainId: 1 });
  const page = await browser.context.newPage();
  await withFailureScreenshot(page, "quorum", async () => {
  await page.goto(app!.url);
  await page.getByTestId("state-disconnected").getByRole("button", { name: "Connect NS Test Wallet" }).click();
  await page.getByTestId("state-wrong-chain").waitFor();
  await screenshot(page, "wrong-chain");
  await page.getByTestId("switch-chain").click();
  await page.getByTestId("state-ready").waitFor();

  // 100 NSG: below the 4 % quorum of the 5,000 NSG supply (200 NSG).
  step("dev tokens and delegation");
  await getDevTokens(page, 100);
  await page.getByTestId("delegate-self").click();
  await waitForText(page.getByTestId("voting-power"), "100 NSG");

  // The proposal is made outside the browser, as `ns-llm propose` would, by the same account.
  step("propose outside the browser");
  const manifest = { schema: "ns-llm.manifest/v1", role: "parameters", name: "parameters-too-hot", parameters: { temperature: 1.9 } };
  let cid: string;
  let digest: Hex;
  if (node) {
    const response = await fetch(new URL("/api/manifests", node.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(manifest) });
    assert.equal(response.status, 200, await response.clone().text());
    ({ cid, digest } = (await response.json()) as { cid: string; digest: Hex });
  } else {
    // No node to publish through: the proposal names a manifest nobody published (the page says it cannot fetch it).
    digest = `0x${createHash("sha256").update(JSON.stringify(manifest)).digest("hex")}`;
    cid = `unpublished-${digest.slice(2, 18)}`;
  }
  const wallet = createWalletClient({ account, chain: { ...hardhat, rpcUrls: { default: { http: [chain!.url] } } }, transport: http(chain!.url) });
  const { deployment, publicClient } = chain!;
  const hash = await wallet.writeContract({
    address: deployment.contracts.NSGovernor.address,
    abi: nsGovernorAbi,
    functionName: "propose",
    args: [
      [deployment.contracts.ModelRegistry.address],
      [0n],
      [encodeFunctionData({ abi: modelRegistryAbi, functionName: "adopt", args: [roleId("parameters"), cid, digest] })],
      `# Adopt parameters-too-hot for parameters\n\nmanifest: ipfs://${cid}\ndigest: ${digest}`,
    ],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const [created] = parseEventLogs({ abi: nsGovernorAbi, logs: receipt.logs, eventName: "ProposalCreated" });
  const proposalId = created!.args.proposalId;

  // The open list follows the chain: the new proposal appears without a reload.
  step("the list follows the chain");
  const row = page.getByTestId("proposal-row").filter({ hasText: "parameters-too-hot" });
  await waitForText(row, "Pending");
  await row.getByRole("link").click();
  await page.waitForURL(`**/proposals/${proposalId}`);
  const header = page.getByTestId("proposal-header");
  await waitForText(page.getByTestId("proposal-title"), "Adopt parameters-too-hot for parameters");
  await advanceChainTime(page, 60);
  await waitForText(header.getByTestId("proposal-state"), "Active");
  await page.getByTestId("support-For").click();
  await page.getByTestId("cast-vote").click();
  await page.getByTestId("has-voted").waitFor();
  await waitForText(page.getByTestId("votes-for"), "100 NSG");

  await advanceChainTime(page, 400);
  await waitForText(header.getByTestId("proposal-state"), "Defeated");
  await waitForText(header.getByTestId("quorum"), "no quorum");
  assert.equal(await page.getByTestId("lifecycle").count(), 0, "no queue/execute panel");
  assert.equal(await page.getByTestId("execute").count(), 0, "no execute button");
  assert.equal(await page.getByTestId("queue").count(), 0, "no queue button");
  await screenshot(page, "proposal-defeated");

  // The list shows it under Defeated.
  step("list");
  await page.goto(app!.url);
  await page.getByTestId("filter-Defeated").click();
  await waitForText(page.getByTestId("proposal-row").first(), "parameters-too-hot");
  assert.equal(await page.getByTestId("proposal-row").count(), 1);
  });
});
