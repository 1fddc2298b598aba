/**
 * One gateway in front of three real node processes (`ns-llm serve --demo`, one inference thread
 * each) that follow a real Hardhat chain: requests spread over the nodes by load (each serves a
 * share); a node whose chain RPC fails keeps serving its old manifest set after an adoption, so
 * the gateway, which reads the registry itself, sends it nothing and says why in /health, until it
 * catches up; a node killed under load loses its share to the others with no failed request.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { chainAdoptionsReader } from "../src/client/index.ts";
import { createGateway, type Gateway } from "../src/gateway/index.ts";
import { json, metricValue } from "./helpers/api-node.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import { adopt, publishManifest, spawnFollowNode, type FollowNode } from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";
import { rpcProxy, type RpcProxy } from "./helpers/rpc-proxy.ts";

let chain: TestChain;
let proxy: RpcProxy;
let a: FollowNode;
let b: FollowNode;
let c: FollowNode; // follows the chain through `proxy`
let gateway: Gateway;
let gatewayUrl: string;
let home: string;

before(async () => {
  chain = await startTestChain();
  proxy = await rpcProxy(chain.rpcUrl);
  const started = await Promise.allSettled([
    spawnFollowNode({ chain }),
    spawnFollowNode({ chain }),
    spawnFollowNode({ chain, env: { NS_LLM_RPC_URL: proxy.url } }),
  ]);
  [a, b, c] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined)) as [FollowNode, FollowNode, FollowNode];
  for (const s of started) if (s.status === "rejected") throw s.reason;
  home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-gateway-nodes-"));
  gateway = await createGateway({
    nodeUrls: [a.url, b.url, c.url],
    home,
    chain: chainAdoptionsReader(chain.publicClient, chain.deployment.contracts.ModelRegistry.address),
    client: { timeoutMs: 30_000, healthCheckMs: 200, breaker: { failureThreshold: 3, halfOpenAfterMs: 60_000 } },
  });
  gatewayUrl = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
});

after(async () => {
  await gateway?.close();
  await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  await proxy?.close();
  await chain?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

type GatewayHealth = {
  status: string;
  reasons: string[];
  node: { endpoints: Array<{ url: string; sync: string; reason: string | null; served: number; errors: number; outstanding: number; capacity: number }> };
};
const health = async () => (await (await fetch(`${gatewayUrl}/health`)).json()) as GatewayHealth;
const of = (h: GatewayHealth, node: FollowNode) => h.node.endpoints.find((e) => e.url === node.url)!;
/** Generations each node answered, by its own /metrics. */
const nodeGenerations = async (node: FollowNode) => {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("ns_llm_http_requests_total{") && l.includes('route="/generate"') && l.includes('status="200"'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
};

/** `count` generations through the gateway, `parallel` at a time; every answer's status and source. */
async function load(count: number, parallel: number, onAnswer?: (done: number) => void | Promise<void>) {
  const answers: Array<{ status: number; source: string }> = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      // cache: false, so each one reaches a node; distinct prompts.
      const response = await fetch(`${gatewayUrl}/generate`, json({ prompt: `Question ${i}: what is NS-LLM?`, maxTokens: 24, cache: false }));
      const body = (await response.json()) as { source: string };
      answers.push({ status: response.status, source: body.source });
      await onAnswer?.(answers.length);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return answers;
}

describe("one gateway, three nodes on one chain", { concurrency: false }, () => {
  test("every node is in sync and serves a share of the requests", async () => {
    const h = await waitUntil("all three nodes in sync", async () => {
      const current = await health();
      return current.node.endpoints.every((e) => e.sync === "in_sync") ? current : undefined;
    }, 60_000);
    assert.equal(h.status, "ok", h.reasons.join("; "));
    const before = await Promise.all([a, b, c].map(nodeGenerations));
    const answers = await load(30, 6);
    assert.deepEqual(answers.filter((x) => x.status !== 200 || x.source !== "llm"), []);
    const shares = (await Promise.all([a, b, c].map(nodeGenerations))).map((n, i) => n - before[i]!);
    assert.equal(shares.reduce((s, n) => s + n, 0), 30, `shares ${shares}`);
    for (const share of shares) assert.ok(share >= 3, `each node serves a share: ${shares}`);
    // The gateway counts the same, per node, on /metrics.
    const metrics = await (await fetch(`${gatewayUrl}/metrics`)).text();
    for (const node of [a, b, c]) assert.ok(metricValue(metrics, `ns_llm_gateway_node_served_total{node="${node.url}"}`) >= 3, metrics);
    assert.equal(metricValue(metrics, `ns_llm_gateway_node_in_sync{node="${c.url}"}`), 1);
  });

  test("a node that missed an adoption gets no request, the gateway says why, and it is back once in sync", async (t) => {
    proxy.cut();
    // Published on every node: their IPFS runs with networking off, so none fetches it from another.
    const manifest = { schema: "ns-llm.manifest/v1", role: "parameters", name: "ns-llm-test-gateway-nodes", parameters: { temperature: 0.3 } };
    const published = (await Promise.all([a, b, c].map((node) => publishManifest(node, manifest))))[0]!;
    await adopt(chain, { role: "parameters", ...published });
    const applied = async (node: FollowNode) => (await node.get<{ applied: { parameters?: { cid: string } } }>("/api/governance")).applied.parameters?.cid === published.cid;
    await waitUntil("a and b to apply the adoption", async () => (await applied(a)) && (await applied(b)), 30_000);
    const h = await waitUntil("the gateway to see c behind", async () => {
      const current = await health();
      return of(current, c).sync === "behind" && of(current, a).sync === "in_sync" && of(current, b).sync === "in_sync" ? current : undefined;
    });
    assert.equal(await applied(c), false, "c cannot read the chain");
    assert.equal(h.status, "degraded");
    assert.match(of(h, c).reason!, /parameters (v\d+|none), the chain holds v\d+/);
    assert.ok(h.reasons.some((r) => r.startsWith(`node ${c.url} gets no requests: behind`)), h.reasons.join("; "));
    const metrics = await (await fetch(`${gatewayUrl}/metrics`)).text();
    assert.equal(metricValue(metrics, `ns_llm_gateway_node_in_sync{node="${c.url}"}`), 0);
    // What the gateway said (the documentation's example comes from here).
    t.diagnostic(JSON.stringify({ status: h.status, reasons: h.reasons, endpoints: h.node.endpoints }));
    t.diagnostic(metrics.split("\n").filter((l) => l.startsWith("ns_llm_gateway_node_")).join(" | "));

    const cBefore = await nodeGenerations(c);
    const answers = await load(12, 4);
    assert.deepEqual(answers.filter((x) => x.status !== 200 || x.source !== "llm"), []);
    assert.equal((await nodeGenerations(c)) - cBefore, 0, "c served nothing while behind");

    proxy.restore();
    await waitUntil("c to catch up", () => applied(c), 30_000);
    await waitUntil("the gateway to see c in sync", async () => of(await health(), c).sync === "in_sync");
    await load(18, 6);
    assert.ok((await nodeGenerations(c)) - cBefore > 0, "c takes requests again");
    assert.equal((await health()).status, "ok");
  });

  test("a node killed under load: its share moves to the others, no request fails", async () => {
    const before = await Promise.all([a, c].map(nodeGenerations));
    let killed = false;
    const answers = await load(30, 6, async (done) => {
      if (done === 6 && !killed) {
        killed = true;
        await b.kill();
      }
    });
    assert.ok(killed);
    assert.equal(answers.length, 30);
    assert.deepEqual(answers.filter((x) => x.status !== 200 || x.source !== "llm"), [], "every request answered by a node");
    const after = await Promise.all([a, c].map(nodeGenerations));
    assert.ok(after[0]! - before[0]! > 0 && after[1]! - before[1]! > 0, "a and c took b's share");
    const h = await waitUntil("the gateway to see b unreachable", async () => {
      const current = await health();
      return of(current, b).sync === "unreachable" ? current : undefined;
    });
    assert.ok(h.reasons.some((r) => r.startsWith(`node ${b.url} gets no requests: unreachable`)), h.reasons.join("; "));
  });
});
