/**
 * Governed updates in the dApp: a release of the node (role `release`, a signed release file) is
 * proposed from the propose page and checked on the proposal page, in the browser, trusting the
 * chain and not the node. One stack: Hardhat with the contracts, a real NS-LLM node (given a
 * stand-in install folder, so it reports the release key "its version ships"), a lying proxy in
 * front of it (harness/lying-proxy.ts), the production build of the dApp, Debian's Chromium.
 * Releases are signed with an Ed25519 key made by this test (node:crypto, as `npm run package`).
 *
 * - The maintainer picks release.json and the public key; the browser checks shape and signature,
 *   publishes the bytes as they are and proposes adopt("release", cid, digest) from its own values.
 *   A file altered after signing is refused there, before anything is published.
 * - The proposal page shows version, packages and signer; digest, CID and signature pass; the key
 *   the node reports matches; the vote goes through.
 * - The same proposal, with the proxy serving the file altered after signing: wrong bytes, vote
 *   disabled. A proposal that adopts an altered file itself: bad signature, vote disabled.
 */
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { create as createDigest } from "multiformats/hashes/digest";
import { createWalletClient, encodeFunctionData, http, parseEventLogs, sha256, type Address, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { modelRegistryAbi, nsGovernorAbi, roleId } from "@ns-llm/contracts";
import { releaseKeyId, signRelease, type ReleaseManifest } from "../../node/src/release/index.ts";
import { buildApp, startApp, type TestApp } from "./harness/app.ts";
import { launchBrowser, screenshot, withFailureScreenshot, type TestBrowser } from "./harness/browser.ts";
import { startChain, type TestChain } from "./harness/chain.ts";
import { startLyingProxy, type LyingProxy } from "./harness/lying-proxy.ts";
import { startDemoNode, type DemoNode } from "./harness/ns-demo-node.ts";
import { waitForMined, waitForText } from "./harness/page-helpers.ts";
import { freePort, waitUntil } from "./harness/processes.ts";
import { installWallet } from "./harness/wallet.ts";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const keyId = releaseKeyId(publicKey);
const publicPem = publicKey.export({ format: "pem", type: "spki" }).toString();
const spkiBase64 = publicKey.export({ format: "der", type: "spki" }).toString("base64");

const pkg = Buffer.from("a stand-in package ".repeat(64));
const manifest: ReleaseManifest = {
  schema: "ns-llm.release/v1",
  name: "ns-llm",
  version: "0.2.0",
  artifacts: [
    { platform: "linux-x64", format: "tar.gz", file: "ns-llm-0.2.0-linux-x64.tar.gz", sha256: createHash("sha256").update(pkg).digest("hex"), size: pkg.length, node: "22.23.3", sources: ["ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"] },
    { platform: "win-x64", format: "zip", file: "ns-llm-0.2.0-win-x64.zip", sha256: "ab".repeat(32), size: 123_456, node: "22.23.3", sources: [] },
  ],
};
const signed = signRelease({ manifest, privateKey });
/** The same file with one artifact's sha256 changed after signing (the signature no longer covers it). */
const altered = (() => {
  const envelope = JSON.parse(new TextDecoder().decode(signed));
  envelope.manifest.artifacts[0].sha256 = "00".repeat(32);
  return new TextEncoder().encode(`${JSON.stringify(envelope, null, 2)}\n`);
})();

const cidOf = (bytes: Uint8Array) => CID.createV1(raw.code, createDigest(0x12, createHash("sha256").update(bytes).digest())).toString();

let chain: TestChain | undefined;
let node: DemoNode | undefined;
let proxy: LyingProxy | undefined;
let app: TestApp | undefined;
let browser: TestBrowser | undefined;
let dir: string | undefined;
/** The proposal made from the propose page (test 1), reused with a lying proxy (test 2). */
let proposed: { id: string; cid: string; digest: Hex } | undefined;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ns-web-release-"));
  // A stand-in install folder: the node reports this version's release key on /health.
  const install = path.join(dir, "install");
  await mkdir(path.join(install, "versions", "0.1.0"), { recursive: true });
  await writeFile(path.join(install, "current"), "0.1.0\n");
  await writeFile(path.join(install, "versions", "0.1.0", "release-key.pem"), publicPem);
  await writeFile(path.join(dir, "release.json"), signed);
  await writeFile(path.join(dir, "release-altered.json"), altered);
  await writeFile(path.join(dir, "release-key.pem"), publicPem);

  const build = await buildApp();
  console.log(`# next build: ${build.reused ? "reused" : "built"} in ${build.ms} ms`);
  chain = await startChain();
  const appPort = await freePort();
  node = await startDemoNode({
    rpcUrl: chain.url,
    deploymentFile: chain.deploymentFile,
    corsOrigin: `http://127.0.0.1:${appPort}`,
    env: { NS_LLM_INSTALL_ROOT: install, NS_LLM_VERSION: "0.1.0" },
  });
  proxy = await startLyingProxy(node.url);
  app = await startApp({ port: appPort, rpcUrl: chain.url, deploymentFile: chain.deploymentFile, nodeUrl: proxy.url });
  browser = await launchBrowser();
  // A contributor's wallet (1,000 NSG delegated at deployment: it can propose and vote).
  await installWallet(browser.context, { rpcUrl: chain.url, account: chain.accounts[2]!, chainId: 31337 });
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await proxy?.stop();
  await node?.stop();
  await chain?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function rpc(method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(chain!.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  return ((await response.json()) as { result: unknown }).result;
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

async function checkStatus(page: import("playwright-core").Page, expected: string): Promise<void> {
  const check = page.getByTestId("release-check");
  await waitUntil(`the release check to be ${expected}`, async () => (await check.getAttribute("data-status", { timeout: 1000 }).catch(() => null)) === expected, 30_000);
}

test("a maintainer proposes a signed release from the propose page; the proposal page checks it in the browser and it is voted", async () => {
  const health = (await (await fetch(new URL("/health", node!.url))).json()) as { release?: { key?: { id: string; spki: string } } };
  assert.deepEqual(health.release?.key, { id: keyId, spki: spkiBase64 }, "the node reports the key its (stand-in) version ships");

  const page = await browser!.context.newPage();
  await withFailureScreenshot(page, "release-propose", async () => {
    await page.goto(`${app!.url}/propose`);
    await connect(page);
    await page.getByTestId("kind-release").click();
    const form = page.getByTestId("form-release");
    await form.waitFor();

    // A file altered after signing is refused in the browser: nothing can be published.
    await page.getByTestId("release-key-file").setInputFiles(path.join(dir!, "release-key.pem"));
    await page.getByTestId("release-file").setInputFiles(path.join(dir!, "release-altered.json"));
    await waitForText(page.getByTestId("release-form-error"), "signature does not verify");
    assert.equal(await page.getByTestId("publish-and-propose").isDisabled(), true, "an altered release cannot be proposed");

    // The signed file as npm run package wrote it.
    await page.getByTestId("release-file").setInputFiles(path.join(dir!, "release.json"));
    await waitForText(page.getByTestId("release-form-ok"), keyId);
    assert.equal(await page.getByTestId("release-form-cid").getAttribute("data-value"), cidOf(signed));
    assert.equal(await page.getByTestId("release-form-digest").getAttribute("data-value"), sha256(signed));
    await waitForText(page.getByTestId("release-version"), "ns-llm 0.2.0");
    assert.equal(await page.getByTestId("release-artifact").count(), 2);
    await form.getByLabel("Description").fill("Faster start");
    await page.getByTestId("publish-and-propose").click();
    await page.getByTestId("proposal-created").waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId("published-cid").getAttribute("data-value"), cidOf(signed));
    console.log(`# screenshot ${await screenshot(page, "release-proposed")}`);
    const href = (await page.getByTestId("open-proposal").getAttribute("href"))!;
    proposed = { id: href.split("/").at(-1)!, cid: cidOf(signed), digest: sha256(signed) };
  });
  await page.close();
  assert.ok(proposed, "a proposal was made");

  // On chain: adopt("release", cid, digest) with the browser's values, and the signer's key in the description.
  const governor = chain!.deployment.contracts.NSGovernor.address;
  const logs = await chain!.publicClient.getContractEvents({ address: governor, abi: nsGovernorAbi, eventName: "ProposalCreated", fromBlock: 0n });
  const created = logs.find((l) => String(l.args.proposalId) === proposed!.id)!;
  assert.equal(created.args.calldatas![0], encodeFunctionData({ abi: modelRegistryAbi, functionName: "adopt", args: [roleId("release"), proposed!.cid, proposed!.digest] }));
  assert.match(created.args.description!, new RegExp(`^release-key: ${spkiBase64.replace(/[+/]/g, "\\$&")}$`, "m"));
  // The node stored the bytes as they are.
  const stored = await fetch(new URL(`/api/manifests/${proposed!.cid}`, node!.url));
  assert.deepEqual(new Uint8Array(await stored.arrayBuffer()), signed);

  await rpc("evm_increaseTime", [5]);
  await rpc("evm_mine");
  const view = await browser!.context.newPage();
  await withFailureScreenshot(view, "release-proposal", async () => {
    await view.goto(`${app!.url}/proposals/${proposed!.id}`);
    await connect(view);
    await waitForText(view.getByTestId("proposal-header").getByTestId("proposal-state"), "Active");
    await checkStatus(view, "verified");
    assert.equal(await view.getByTestId("release-computed-digest").getAttribute("data-value"), proposed!.digest);
    await waitForText(view.getByTestId("release-signature-ok"), keyId);
    await waitForText(view.getByTestId("release-signature-ok"), "in the proposal's description");
    assert.equal(await view.getByTestId("release-node-key").getAttribute("data-match"), "true");
    await waitForText(view.getByTestId("release-node-key"), "As reported by the node");
    await waitForText(view.getByTestId("release-version"), "ns-llm 0.2.0");
    assert.equal(await view.getByTestId("release-key-id").getAttribute("data-value"), keyId);
    await waitForText(view.getByTestId("release-artifacts"), "ns-llm-0.2.0-linux-x64.tar.gz");
    await waitForText(view.getByTestId("release-artifacts"), manifest.artifacts[0]!.sources[0]!);
    assert.equal(await view.getByTestId("manifest-check").count(), 0, "no model-manifest check for a release");
    console.log(`# screenshot ${await screenshot(view, "release-proposal-verified")}`);
    assert.equal(await view.getByTestId("vote-blocked").count(), 0);
    await waitForText(view.getByTestId("power-snapshot"), "1,000 NSG");
    await view.getByTestId("support-For").click();
    await view.getByTestId("cast-vote").click();
    await waitForMined(view.getByTestId("vote-panel"));
    await view.getByTestId("has-voted").waitFor();
  });
  await view.close();
});

test("a release file altered after signing disables the vote with the reason: served by a lying node, or adopted as such", async () => {
  assert.ok(proposed, "the first test made a proposal");
  // 1. The node serves the altered file under the honest proposal's CID: the bytes are not the chain's.
  proxy!.lies.manifests.set(proposed!.cid, altered);
  // 2. A proposal that adopts the altered file itself (its CID and digest), with the genuine key in its description.
  const added = await fetch(new URL("/api/ipfs", node!.url), { method: "POST", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array(altered) });
  const { cid } = (await added.json()) as { cid: string };
  assert.equal(cid, cidOf(altered));
  const digest = sha256(altered);
  const account = chain!.accounts[1]! as Address;
  const wallet = createWalletClient({ account, chain: { ...hardhat, rpcUrls: { default: { http: [chain!.url] } } }, transport: http(chain!.url) });
  const { deployment, publicClient } = chain!;
  const hash = await wallet.writeContract({
    address: deployment.contracts.NSGovernor.address,
    abi: nsGovernorAbi,
    functionName: "propose",
    args: [
      [deployment.contracts.ModelRegistry.address],
      [0n],
      [encodeFunctionData({ abi: modelRegistryAbi, functionName: "adopt", args: [roleId("release"), cid, digest] })],
      `# Adopt ns-llm-0.2.0 for release\n\nmanifest: ipfs://${cid}\ndigest: ${digest}\nrelease-key: ${spkiBase64}`,
    ],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const [created] = parseEventLogs({ abi: nsGovernorAbi, logs: receipt.logs, eventName: "ProposalCreated" });
  const alteredId = String(created!.args.proposalId);
  await rpc("evm_increaseTime", [5]);
  await rpc("evm_mine");

  const page = await browser!.context.newPage();
  // A voter who has not seen the honest file yet: this browser cached it (immutable, by CID) in the first test.
  await (await browser!.context.newCDPSession(page)).send("Network.clearBrowserCache");
  await withFailureScreenshot(page, "release-altered", async () => {
    await page.goto(`${app!.url}/proposals/${proposed!.id}`);
    await connect(page);
    await checkStatus(page, "mismatch");
    await waitForText(page.getByTestId("release-problem"), "Do not trust this node");
    await waitForText(page.getByTestId("release-problem"), proposed!.digest);
    assert.equal(await page.getByTestId("release").count(), 0, "nothing of the forged bytes is shown");
    await waitForText(page.getByTestId("vote-blocked"), "does not match the proposal's digest");
    console.log(`# screenshot ${await screenshot(page, "release-lying-node")}`);

    await page.goto(`${app!.url}/proposals/${alteredId}`);
    await waitForText(page.getByTestId("proposal-header").getByTestId("proposal-state"), "Active");
    await checkStatus(page, "bad-signature");
    await waitForText(page.getByTestId("release-problem"), "signature does not verify");
    await waitForText(page.getByTestId("vote-blocked"), "signature does not verify");
    await waitForText(page.getByTestId("power-snapshot"), "1,000 NSG");
    assert.equal(await page.getByTestId("cast-vote").isDisabled(), true, "the vote button is disabled");
    console.log(`# screenshot ${await screenshot(page, "release-bad-signature")}`);
  });
  await page.close();
  proxy!.lies.manifests.delete(proposed!.cid);
});
