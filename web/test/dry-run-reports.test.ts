/**
 * The proposal page shows every node's dry-run report, in a real browser (Debian's Chromium): a
 * real chain, two real nodes (`ns-llm serve --demo` with NS_LLM_DRY_RUN=1, each signing with its
 * own operator key), the production build of the dApp pointed at the first node. Two proposals:
 * one adopts the demo generation model (both nodes pass it, with figures), one names a digest that
 * its manifest does not have (both nodes refuse it, and say why). The page reads the reports from
 * the chain, fetches each by CID through its node and checks the digest in the browser.
 *
 * The nodes' embedded IPFS is offline (no peers), so the test copies the second node's reports to
 * the first (what the IPFS network does between nodes backed by Kubo).
 *
 * Before the proposals, a vote adopts an evaluation suite (role `evaluation`): both nodes judge by
 * it, their reports name its CID, and the page shows its per-prompt results and checks.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { createWalletClient, encodeFunctionData, http, keccak256, toHex, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { modelRegistryAbi, nodeReportsAbi, nsGovernorAbi, roleId, type Role } from "@ns-llm/contracts";
import { buildApp, startApp, type TestApp } from "./harness/app.ts";
import { launchBrowser, screenshot, withFailureScreenshot } from "./harness/browser.ts";
import { startChain, type TestChain } from "./harness/chain.ts";
import { waitForText } from "./harness/page-helpers.ts";
import { REPO_ROOT } from "./harness/paths.ts";
import { freePort, startChild, waitUntil, type Child } from "./harness/processes.ts";

// Hardhat's well-known dev keys #1 and #2 (never use them on a real network): two operators.
const KEYS = ["0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"];

type DryNode = { url: string; process: Child; home: string };
let chain: TestChain | undefined;
let app: TestApp | undefined;
const nodes: DryNode[] = [];

before(async () => {
  const build = await buildApp();
  console.log(`# next build: ${build.reused ? "reused" : "built"} in ${build.ms} ms`);
  chain = await startChain();
  const appPort = await freePort();
  for (const key of KEYS) {
    const home = await mkdtemp(path.join(tmpdir(), "ns-web-dry-run-node-"));
    const serve = startChild(process.execPath, [path.join(REPO_ROOT, "node/bin/ns-llm.js"), "serve", "--demo"], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NS_LLM_HOME: home,
        NS_LLM_HOST: "127.0.0.1",
        NS_LLM_PORT: "0",
        NS_LLM_CORS_ORIGINS: `http://127.0.0.1:${appPort}`,
        NS_LLM_THREADS: "1",
        NS_LLM_RPC_URL: chain.url,
        NS_LLM_DEPLOYMENT: chain.deploymentFile,
        NS_LLM_DRY_RUN: "1",
        NS_LLM_OPERATOR_KEY: key,
      },
      name: "ns-llm serve",
    });
    nodes.push({ url: "", process: serve, home });
    const [, url] = await serve.waitForLine(/ns-llm listening on (http:\/\/\S+)/, 180_000);
    nodes.at(-1)!.url = url!;
  }
  app = await startApp({ port: appPort, rpcUrl: chain.url, deploymentFile: chain.deploymentFile, nodeUrl: nodes[0]!.url });
});

after(async () => {
  await app?.stop();
  for (const node of nodes) {
    await node.process.stop();
    await rm(node.home, { recursive: true, force: true });
  }
  await chain?.stop();
});

async function propose(cid: string, digest: Hex, description: string, role: Role = "generation"): Promise<bigint> {
  const wallet = createWalletClient({ account: chain!.accounts[0]!, chain: { ...hardhat, rpcUrls: { default: { http: [chain!.url] } } }, transport: http(chain!.url) });
  const governor = chain!.deployment.contracts.NSGovernor.address;
  const targets = [chain!.deployment.contracts.ModelRegistry.address];
  const calldatas = [encodeFunctionData({ abi: modelRegistryAbi, functionName: "adopt", args: [roleId(role), cid, digest] })];
  const hash = await wallet.writeContract({ address: governor, abi: nsGovernorAbi, functionName: "propose", args: [targets, [0n], calldatas, description] });
  await chain!.publicClient.waitForTransactionReceipt({ hash });
  return chain!.publicClient.readContract({ address: governor, abi: nsGovernorAbi, functionName: "hashProposal", args: [targets, [0n], calldatas, keccak256(toHex(description))] });
}

/**
 * The network's evaluation suite, adopted by vote before the proposals: both nodes must judge the
 * proposed model by its prompts and checks (its CID in their reports), and the page shows them.
 */
const SUITE = {
  schema: "ns-llm.manifest/v1",
  role: "evaluation",
  name: "suite-e2e",
  evaluation: {
    maxTokens: 8,
    prompts: [
      { prompt: "Hello, who are you?", mustNotContain: ["as an ai"] },
      { prompt: "Name three colors.", maxLatencyMs: 60_000 },
    ],
  },
};

/** Publishes SUITE on both nodes, proposes it, passes it (`ns-llm dev pass`), waits until both nodes applied it. */
async function adoptSuite(): Promise<string> {
  let published: { cid: string; digest: Hex } | undefined;
  for (const node of nodes) {
    const response = await fetch(`${node.url}/api/manifests`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(SUITE) });
    assert.equal(response.status, 200, await response.clone().text());
    published = (await response.json()) as { cid: string; digest: Hex };
  }
  const id = await propose(published!.cid, published!.digest, "# Adopt the e2e evaluation suite", "evaluation");
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [path.join(REPO_ROOT, "node/bin/ns-llm.js"), "dev", "pass", id.toString()], { env: { ...process.env, NS_LLM_RPC_URL: chain!.url, NS_LLM_DEPLOYMENT: chain!.deploymentFile } }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(),
    ),
  );
  for (const node of nodes) {
    await waitUntil("the suite applied", async () => ((await (await fetch(`${node.url}/api/governance`)).json()) as { applied: { evaluation?: { cid: string } } }).applied.evaluation?.cid === published!.cid, 60_000);
  }
  return published!.cid;
}

/** Waits for both nodes' reports on chain, then copies the second node's report bytes to the first node's IPFS. */
async function bothReported(proposalId: bigint): Promise<void> {
  const reports = await waitUntil(
    "both nodes' dry-run reports on chain",
    async () => {
      const page = await chain!.publicClient.readContract({ address: chain!.deployment.contracts.NodeReports!.address, abi: nodeReportsAbi, functionName: "proposalReports", args: [proposalId, 0n, 10n] });
      return page.length >= 2 ? page : undefined;
    },
    240_000,
    500,
  ).catch((error) => {
    throw new Error(`${(error as Error).message}\n${nodes.map((n) => n.process.output().slice(-3000)).join("\n---\n")}`);
  });
  for (const report of reports) {
    const bytes = await fetch(`${nodes[1]!.url}/api/manifests/${report.cid}`).then((r) => (r.ok ? r.arrayBuffer() : undefined));
    if (!bytes) continue; // the first node's own report
    const added = await fetch(`${nodes[0]!.url}/api/ipfs`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes });
    assert.equal(((await added.json()) as { cid: string }).cid, report.cid);
  }
}

test("the proposal page shows both nodes' dry-run reports, verified, with medians, and both refusals with their reason", async (t) => {
  // The demo generation model's manifest, as both nodes published it.
  const health = (await (await fetch(`${nodes[0]!.url}/health`)).json()) as { generation: { manifest: string } };
  const cid = health.generation.manifest;
  const bytes = new Uint8Array(await (await fetch(`${nodes[0]!.url}/api/manifests/${cid}`)).arrayBuffer());
  const digest = `0x${createHash("sha256").update(bytes).digest("hex")}` as Hex;
  const suite = await adoptSuite();
  const good = await propose(cid, digest, "# Adopt the demo model again (dry-run e2e)");
  const refused = await propose(cid, `0x${"11".repeat(32)}`, "# A proposal whose digest is wrong (dry-run e2e)");
  await bothReported(good);
  await bothReported(refused);

  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  await withFailureScreenshot(page, "dry-run-reports", async () => {
    await page.goto(`${app!.url}/proposals/${good}`);
    const card = page.getByTestId("dry-run-reports");
    await waitForText(card.getByTestId("dry-run-summary"), "2 nodes ran it: 2 passed, 0 failed, 0 refused", 60_000);
    await waitUntil("both reports verified", async () => (await card.getByTestId("dry-run-verified").count()) === 2, 30_000);
    const rows = card.getByTestId("dry-run-report");
    assert.equal(await rows.count(), 2);
    for (const verdict of await card.getByTestId("dry-run-verdict").allTextContents()) assert.equal(verdict, "Passed");
    assert.match((await card.getByTestId("dry-run-summary").textContent()) ?? "", /Medians: [\d.]+ tokens\/s, first token [\d.]+ ms, load \d+ ms, memory \d+ MiB, suite passed 100 %/);
    console.log(`# ${await card.getByTestId("dry-run-summary").textContent()}`);
    // The governed suite's per-prompt results, under each node's row.
    const suites = card.getByTestId("dry-run-answers");
    assert.equal(await suites.count(), 2);
    for (const title of await card.getByTestId("dry-run-suite").evaluateAll((els) => els.map((e) => e.getAttribute("title")))) assert.equal(title, suite);
    await suites.first().locator("summary").click();
    assert.match((await suites.first().locator("summary").textContent()) ?? "", /Suite suite-e2e \(.+\): 2 of 2 prompts passed/);
    const answers = suites.first().getByTestId("dry-run-answer");
    assert.equal(await answers.count(), 2);
    const checks = await suites.first().getByTestId("dry-run-check").allTextContents();
    assert.deepEqual(checks.slice(0, 3), ["✓ answered", "✓ must not contain: as an ai", "✓ answered"]);
    assert.match(checks[3]!, /^✓ max latency: [\d.]+ ms, at most 60000$/);
    console.log(`# screenshot: ${await screenshot(page, "dry-run-reports-passed")}`);

    await page.goto(`${app!.url}/proposals/${refused}`);
    await waitForText(card.getByTestId("dry-run-summary"), "2 nodes ran it: 0 passed, 0 failed, 2 refused", 60_000);
    await waitUntil("both reasons shown", async () => (await card.getByTestId("dry-run-reason").count()) === 2, 30_000);
    for (const reason of await card.getByTestId("dry-run-reason").allTextContents()) assert.match(reason, /Refused: digest_mismatch manifest bytes hash to 0x[0-9a-f]{64}, the proposal says 0x1111/);
    console.log(`# screenshot: ${await screenshot(page, "dry-run-reports-refused")}`);
  });
});
