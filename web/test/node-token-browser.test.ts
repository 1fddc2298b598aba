/**
 * The dApp's production build in Debian's Chromium, against a node with an API token (what
 * `npm start` sets up): the page's requests to its default node carry `Authorization: Bearer`,
 * the node answers them (its Host and Origin checks let the dApp through), and a write the page
 * sends (publishing a manifest, from the page's own code) reaches the node's validation instead
 * of being refused with 401.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { startNode, type RunningNode } from "../../node/src/app/index.ts";
import { loadConfig } from "../../node/src/config.ts";
import { buildApp, startApp, type TestApp } from "./harness/app.ts";
import { launchBrowser, type TestBrowser } from "./harness/browser.ts";
import { startChain, type TestChain } from "./harness/chain.ts";
import { freePort, waitUntil } from "./harness/processes.ts";

const TOKEN = "browser-token-7d41aa";
let node: RunningNode;
let home: string;
let app: TestApp;
let browser: TestBrowser;
let chain: TestChain;

before(async () => {
  const build = await buildApp();
  console.log(`# next build: ${build.reused ? "reused" : "built"} in ${build.ms} ms`);
  chain = await startChain(); // the dApp shows its pages only with its contracts
  const appPort = await freePort();
  home = await mkdtemp(path.join(tmpdir(), "ns-web-token-browser-"));
  const config = loadConfig({ NODE_ENV: "test", NS_LLM_HOME: home, NS_LLM_PORT: "0", NS_LLM_THREADS: "1", NS_LLM_API_TOKEN: TOKEN, NS_LLM_CORS_ORIGINS: `http://127.0.0.1:${appPort}` });
  node = await startNode(config, { chain: false, logger: false, log: () => {} });
  process.env.NS_LLM_API_TOKEN = TOKEN; // the dApp server's environment (startApp passes process.env on)
  app = await startApp({ port: appPort, rpcUrl: chain.url, deploymentFile: chain.deploymentFile, nodeUrl: node.url });
  browser = await launchBrowser();
});
after(async () => {
  delete process.env.NS_LLM_API_TOKEN;
  await browser?.close();
  await app?.stop();
  await node?.close();
  await chain?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

test("the page sends the token to its node, and the node lets the dApp's writes in", async () => {
  const page = await browser.context.newPage();
  const toNode: Array<{ url: string; authorization: string | undefined; status: number }> = [];
  page.on("response", async (response) => {
    if (!response.url().startsWith(node.url)) return;
    toNode.push({ url: response.url(), authorization: (await response.request().allHeaders()).authorization, status: response.status() });
  });
  await page.goto(`${app.url}/node`);
  const health = await waitUntil("the page to read the node's /health", async () => toNode.find((r) => r.url.endsWith("/health")), 60_000, 250);
  assert.equal(health.authorization, `Bearer ${TOKEN}`);
  assert.equal(health.status, 200);

  // A write from the page's origin in the browser (CORS preflight and all): with the token it
  // gets past the door (400: {} is not a manifest), without it does not.
  const statuses = await page.evaluate(
    async ({ url, token }) => {
      const post = (headers: Record<string, string>) => fetch(`${url}/api/manifests`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{}" }).then((r) => r.status);
      return { withToken: await post({ authorization: `Bearer ${token}` }), without: await post({}) };
    },
    { url: node.url, token: TOKEN },
  );
  assert.deepEqual(statuses, { withToken: 400, without: 401 });
});
