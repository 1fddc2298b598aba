/**
 * The dApp trusts the chain, not the node: one stack (Hardhat with the contracts, the NS-LLM demo
 * node, the production build of the dApp, Debian's Chromium), with the dApp pointed at a lying
 * proxy in front of the real node (harness/lying-proxy.ts).
 *
 * - A node that returns other bytes for a proposal's manifest is caught on the proposal page: the
 *   browser's hashes differ from the calldata's digest and CID, the page says so, the vote button is
 *   disabled; an honest manifest next to it verifies and can be voted.
 * - A node that answers a publication with another CID and digest is caught on the propose page:
 *   nothing is proposed and the propose button is disabled.
 * - A node that gives a chat answer an unrelated audit seq is caught by "verify" under the answer.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createWalletClient, encodeFunctionData, http, parseEventLogs, type Address, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { encodeManifest, modelRegistryAbi, nsGovernorAbi, roleId } from "@ns-llm/contracts";
import { buildApp, startApp, type TestApp } from "./harness/app.ts";
import { launchBrowser, screenshot, withFailureScreenshot, type TestBrowser } from "./harness/browser.ts";
import { startChain, type TestChain } from "./harness/chain.ts";
import { startLyingProxy, type LyingProxy } from "./harness/lying-proxy.ts";
import { startDemoNode, type DemoNode } from "./harness/ns-demo-node.ts";
import { waitForMined, waitForText } from "./harness/page-helpers.ts";
import { freePort, waitUntil } from "./harness/processes.ts";
import { installWallet } from "./harness/wallet.ts";

let chain: TestChain | undefined;
let node: DemoNode | undefined;
let proxy: LyingProxy | undefined;
let app: TestApp | undefined;
let browser: TestBrowser | undefined;

before(async () => {
  const build = await buildApp();
  console.log(`# next build: ${build.reused ? "reused" : "built"} in ${build.ms} ms`);
  chain = await startChain();
  const appPort = await freePort();
  node = await startDemoNode({ rpcUrl: chain.url, deploymentFile: chain.deploymentFile, corsOrigin: `http://127.0.0.1:${appPort}` });
  proxy = await startLyingProxy(node.url);
  app = await startApp({ port: appPort, rpcUrl: chain.url, deploymentFile: chain.deploymentFile, nodeUrl: proxy.url });
  browser = await launchBrowser();
  // A contributor's wallet (1,000 NSG delegated at deployment, so it can vote on any proposal made later).
  await installWallet(browser.context, { rpcUrl: chain.url, account: chain.accounts[2]!, chainId: 31337 });
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await proxy?.stop();
  await node?.stop();
  await chain?.stop();
});

async function rpc(method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(chain!.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  return ((await response.json()) as { result: unknown }).result;
}

/** Publishes through the real node (not the proxy) and proposes its adoption from a contributor, as `ns-llm propose` would. */
async function publishAndPropose(manifest: object): Promise<{ cid: string; digest: Hex; proposalId: bigint; bytes: Uint8Array }> {
  const bytes = encodeManifest(manifest);
  const response = await fetch(new URL("/api/manifests", node!.url), { method: "POST", headers: { "content-type": "application/json" }, body: new Uint8Array(bytes) });
  assert.equal(response.status, 200, await response.clone().text());
  const { cid, digest } = (await response.json()) as { cid: string; digest: Hex };
  const account = chain!.accounts[1]! as Address;
  const wallet = createWalletClient({ account, chain: { ...hardhat, rpcUrls: { default: { http: [chain!.url] } } }, transport: http(chain!.url) });
  const { deployment, publicClient } = chain!;
  const name = (manifest as { name: string }).name;
  const hash = await wallet.writeContract({
    address: deployment.contracts.NSGovernor.address,
    abi: nsGovernorAbi,
    functionName: "propose",
    args: [
      [deployment.contracts.ModelRegistry.address],
      [0n],
      [encodeFunctionData({ abi: modelRegistryAbi, functionName: "adopt", args: [roleId("parameters"), cid, digest] })],
      `# Adopt ${name} for parameters\n\nmanifest: ipfs://${cid}\ndigest: ${digest}`,
    ],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const [created] = parseEventLogs({ abi: nsGovernorAbi, logs: receipt.logs, eventName: "ProposalCreated" });
  return { cid, digest, proposalId: created!.args.proposalId, bytes };
}

async function connect(page: import("playwright-core").Page): Promise<void> {
  const disconnected = page.getByTestId("state-disconnected");
  const ready = page.getByTestId("state-ready");
  await Promise.race([disconnected.waitFor(), ready.waitFor()]);
  if (await disconnected.isVisible()) {
    await disconnected.getByRole("button", { name: "Connect NS Test Wallet" }).click();
    await ready.waitFor();
  }
}

test("a node that lies about a manifest's bytes is caught on the proposal page and the vote is disabled; the honest one next to it is voted", async () => {
  const honest = await publishAndPropose({ schema: "ns-llm.manifest/v1", role: "parameters", name: "trust-honest", parameters: { temperature: 0.5 } });
  const lied = await publishAndPropose({ schema: "ns-llm.manifest/v1", role: "parameters", name: "trust-lied-about", description: "Very hot sampling", parameters: { temperature: 1.9 } });
  // The proxy shows voters a harmless manifest under the hot one's CID: valid JSON, same name, another temperature.
  const fake = encodeManifest({ schema: "ns-llm.manifest/v1", role: "parameters", name: "trust-lied-about", description: "Very hot sampling", parameters: { temperature: 0.2 } });
  proxy!.lies.manifests.set(lied.cid, fake);
  const served = await fetch(new URL(`/api/manifests/${lied.cid}`, proxy!.url));
  assert.deepEqual(new Uint8Array(await served.arrayBuffer()), fake, "the proxy lies");
  // Voting opens (voting delay: 1 s on the dev settings).
  await rpc("evm_increaseTime", [5]);
  await rpc("evm_mine");

  const page = await browser!.context.newPage();
  await withFailureScreenshot(page, "trust-manifest", async () => {
    await page.goto(`${app!.url}/proposals/${lied.proposalId}`);
    await connect(page);
    await waitForText(page.getByTestId("proposal-header").getByTestId("proposal-state"), "Active");
    const check = page.getByTestId("manifest-check");
    await waitUntil("the manifest check", async () => (await check.getAttribute("data-status", { timeout: 1000 }).catch(() => null)) === "mismatch", 30_000);
    await waitForText(page.getByTestId("manifest-mismatch"), "not the ones the chain committed to");
    await waitForText(page.getByTestId("manifest-mismatch"), lied.digest);
    // Nothing of the forged bytes is shown as the proposal's manifest.
    assert.equal(await page.getByTestId("manifest-parameters").count(), 0);
    await page.getByTestId("vote-blocked").waitFor();
    await waitForText(page.getByTestId("power-snapshot"), "1,000 NSG");
    assert.equal(await page.getByTestId("cast-vote").isDisabled(), true, "the vote button is disabled");
    console.log(`# screenshot ${await screenshot(page, "trust-manifest-mismatch")}`);

    // The honest proposal through the same proxy: checked, shown, and voted.
    await page.goto(`${app!.url}/proposals/${honest.proposalId}`);
    await waitUntil("the manifest check", async () => (await check.getAttribute("data-status", { timeout: 1000 }).catch(() => null)) === "verified", 30_000);
    assert.equal(await page.getByTestId("manifest-computed-digest").getAttribute("data-value"), honest.digest);
    await waitForText(page.getByTestId("manifest-parameters"), "0.5");
    assert.equal(await page.getByTestId("vote-blocked").count(), 0);
    await waitForText(page.getByTestId("power-snapshot"), "1,000 NSG");
    await page.getByTestId("support-For").click();
    await page.getByTestId("cast-vote").click();
    await waitForMined(page.getByTestId("vote-panel"));
    await page.getByTestId("has-voted").waitFor();
  });
  await page.close();
});

test("a node that answers a publication with another CID and digest is caught on the propose page: nothing is proposed", async () => {
  const other = await fetch(new URL("/api/manifests", node!.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: new Uint8Array(encodeManifest({ schema: "ns-llm.manifest/v1", role: "parameters", name: "trust-swapped", parameters: { temperature: 2 } })),
  });
  proxy!.lies.publish = (await other.json()) as { cid: string; digest: Hex };
  const proposalsBefore = await chain!.publicClient.readContract({ address: chain!.deployment.contracts.NSGovernor.address, abi: nsGovernorAbi, functionName: "proposalCount" });
  const page = await browser!.context.newPage();
  await withFailureScreenshot(page, "trust-publish", async () => {
    await page.goto(`${app!.url}/propose`);
    await connect(page);
    const form = page.getByTestId("form-parameters");
    await form.waitFor();
    await form.getByLabel("Name").fill("trust-propose-form");
    await form.getByLabel("Temperature").fill("0.6");
    await page.getByTestId("publish-and-propose").click();
    await waitForText(page.getByTestId("publish-mismatch"), "hashed in this browser");
    await waitForText(page.getByTestId("publish-mismatch"), proxy!.lies.publish!.cid);
    assert.equal(await page.getByTestId("publish-and-propose").isDisabled(), true, "the propose button is disabled");
    assert.equal(await page.getByTestId("proposal-created").count(), 0);
    console.log(`# screenshot ${await screenshot(page, "trust-publish-mismatch")}`);
  });
  await page.close();
  proxy!.lies.publish = undefined;
  const proposalsAfter = await chain!.publicClient.readContract({ address: chain!.deployment.contracts.NSGovernor.address, abi: nsGovernorAbi, functionName: "proposalCount" });
  assert.equal(proposalsAfter, proposalsBefore, "no proposal was made");
});

test("a node that gives a chat answer an unrelated audit seq is caught by Verify under the answer; the honest answer verifies", async () => {
  const page = await browser!.context.newPage();
  await withFailureScreenshot(page, "trust-chat", async () => {
    await page.goto(`${app!.url}/chat`);
    await waitForText(page.getByTestId("chat-model-status"), "ns-llm-demo-llama", 30_000);

    // An honest answer: its entry records this prompt and this answer.
    await page.getByTestId("chat-input").fill("Who are you?");
    await page.getByTestId("chat-send").click();
    const first = page.getByTestId("chat-answer").nth(0);
    await waitUntil("the first answer", async () => (await first.getAttribute("data-status")) === "done", 60_000);
    const firstSeq = Number(await first.getAttribute("data-audit-seq"));
    assert.ok(Number.isInteger(firstSeq));
    await first.getByTestId("chat-check").click();
    const firstResult = first.getByTestId("chat-check-result");
    await firstResult.waitFor({ timeout: 30_000 });
    assert.equal(await first.getByTestId("chat-check-answer").getAttribute("data-status"), "pass");
    assert.match((await firstResult.getAttribute("data-verdict")) ?? "", /^(verified|pending)$/);
    // Once its batch is anchored (2 s batches), the same answer verifies against AuditAnchor.
    await waitUntil(
      "the first answer verified on chain",
      async () => {
        await first.getByTestId("chat-check").click();
        await page.waitForTimeout(1500);
        return (await firstResult.getAttribute("data-verdict")) === "verified";
      },
      60_000,
      1000,
    );

    // The node now names the first answer's entry as the provenance of the next one.
    proxy!.lies.auditSeq = firstSeq;
    await page.getByTestId("chat-input").fill("Tell me about the network.");
    await page.getByTestId("chat-send").click();
    const second = page.getByTestId("chat-answer").nth(1);
    await waitUntil("the second answer", async () => (await second.getAttribute("data-status")) === "done", 60_000);
    proxy!.lies.auditSeq = undefined;
    assert.equal(Number(await second.getAttribute("data-audit-seq")), firstSeq, "the lie reached the page");
    await second.getByTestId("chat-check").click();
    const result = second.getByTestId("chat-check-result");
    await result.waitFor({ timeout: 30_000 });
    assert.equal(await result.getAttribute("data-verdict"), "failed");
    await waitForText(second.getByTestId("chat-check-verdict"), `Audit entry ${firstSeq} records another`);
    await waitForText(second.getByTestId("chat-check-verdict"), "not its own");
    assert.equal(await second.getByTestId("chat-check-answer").getAttribute("data-status"), "fail");
    console.log(`# screenshot ${await screenshot(page, "trust-chat-unrelated-seq")}`);

    // The dashboard has no gateway in this stack, and says so instead of charting dead figures.
    await page.goto(`${app!.url}/node`);
    await waitForText(page.getByTestId("chart-cache-none"), "No gateway", 30_000);
  });
  await page.close();
});
