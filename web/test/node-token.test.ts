/**
 * The dApp and a node with an API token (what `npm start` sets up): the server puts the token in
 * the page only when the page was asked for under a loopback name, and the browser code sends it
 * to the default node only, so publishing a manifest works, and no other URL ever sees it.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { startNode, type RunningNode } from "../../node/src/app/index.ts";
import { loadConfig } from "../../node/src/config.ts";
import { loadAppConfig } from "../lib/load-app-config.ts";
import { publishManifest } from "../lib/node-api.ts";
import { getGovernance, nodeFetch, setNodeToken } from "../lib/node-http.ts";
import type { Manifest } from "../lib/manifest.ts";

const TOKEN = "dapp-test-token-8f3e1c";
let node: RunningNode;
let home: string;

before(async () => {
  home = await mkdtemp(path.join(tmpdir(), "ns-web-token-"));
  const config = loadConfig({ NODE_ENV: "test", NS_LLM_HOME: home, NS_LLM_PORT: "0", NS_LLM_THREADS: "1", NS_LLM_API_TOKEN: TOKEN });
  node = await startNode(config, { chain: false, logger: false, log: () => {} });
});
after(async () => {
  setNodeToken(node.url, null);
  await node?.close();
  await rm(home, { recursive: true, force: true });
});

// Not a valid manifest: passing the node's door means reaching its validation (400), not 401.
const notAManifest = {} as Manifest;

test("without the token the node refuses the dApp's writes; with it they reach the node", async () => {
  setNodeToken(node.url, null);
  await assert.rejects(publishManifest(node.url, notAManifest), /answered 401 unauthorized/);
  await assert.rejects(nodeFetch(node.url, "/api/manifests", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }), /401/);

  setNodeToken(node.url, TOKEN);
  await assert.rejects(publishManifest(node.url, notAManifest), /answered 400/);
  await assert.rejects(nodeFetch(node.url, "/api/manifests", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }), /answered 400/);
  assert.equal((await getGovernance(node.url)).enabled, false, "reads work as before");
});

test("the token goes to the default node's origin only", async () => {
  // The token is the default node's; a node URL a person typed (another origin) never gets it.
  setNodeToken("http://127.0.0.1:1", TOKEN);
  await assert.rejects(publishManifest(node.url, notAManifest), /answered 401/);
  setNodeToken(node.url, null);
});

test("the server puts the token in the page only under a loopback Host", async () => {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, { NS_LLM_API_TOKEN: TOKEN, NEXT_PUBLIC_NS_LLM_RPC_URL: "http://127.0.0.1:9", NS_LLM_NODE_URL: node.url });
    for (const host of ["127.0.0.1:3000", "localhost:3000", "[::1]:3000"]) {
      assert.equal((await loadAppConfig({ host })).nodeToken, TOKEN, host);
    }
    for (const host of ["rebind.attacker.example:3000", "127.0.0.1.attacker.example", "", null, undefined]) {
      assert.equal((await loadAppConfig({ host })).nodeToken, null, String(host));
    }
    delete process.env.NS_LLM_API_TOKEN;
    assert.equal((await loadAppConfig({ host: "127.0.0.1:3000" })).nodeToken, null, "no token, none given");
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
});

test("served by a node: pages call the origin they were asked under; with no chain the notice says what to set and where", async () => {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, { NS_LLM_DAPP_SAME_ORIGIN: "1", NS_LLM_NODE_URL: "http://127.0.0.1:41001", NS_LLM_CHAIN: "off", NS_LLM_CONFIG_FILE: "/home/a/.local/share/ns-llm/config.env" });
    const config = await loadAppConfig({ host: "localhost:5555" });
    assert.equal(config.nodeUrl, "http://localhost:5555", "the node that served the page, on the address the person used");
    assert.equal(config.deployment, null);
    assert.equal(config.problemTitle, "This node follows no chain");
    assert.match(config.problem ?? "", /set NS_LLM_RPC_URL .* and NS_LLM_DEPLOYMENT .* in \/home\/a\/\.local\/share\/ns-llm\/config\.env/);
    // A Host that is not a plain host[:port] is never made a URL.
    assert.equal((await loadAppConfig({ host: "evil.example/path" })).nodeUrl, "http://127.0.0.1:41001");
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
});
