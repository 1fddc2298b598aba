/**
 * The federated cache over libp2p, with real node processes on loopback (`ns-llm serve --demo
 * --no-chain`, TCP port 0): node A announces the answers it computes, node B (bootstrapped to A)
 * verifies them and a gateway attached to B serves them on a local miss with A's provenance. A
 * rogue libp2p peer in this process, on the same gossip topic, sends forged, out-of-sync,
 * malformed, oversized and flooding messages: B refuses each, counts it by reason, and keeps
 * serving.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { federatedAnswerMessage, type FederatedAnswerRecord, type FederationStatus } from "@ns-llm/contracts";
import { multiaddr } from "@multiformats/multiaddr";
import { verifyMessage } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createFederationLibp2p, encodeMessage, signRecord, type FederationLibp2p } from "../src/federation/index.ts";
import { cacheKey } from "../src/gateway/cache-key.ts";
import { createGateway, type Gateway } from "../src/gateway/index.ts";
import { DEV_KEYS } from "./helpers/chain.ts";
import { metricValue } from "./helpers/api-node.ts";
import { spawnNode, type NodeProcess } from "./helpers/node-process.ts";

// Hardhat's first three dev accounts: A's and B's operators, and the rogue's.
const [KEY_A, KEY_B, KEY_ROGUE] = DEV_KEYS;
const operatorA = privateKeyToAccount(KEY_A).address;

const LISTEN = "/ip4/127.0.0.1/tcp/0";
/** The demo model never ends a reply by itself: a stop string ends it at its first word (finish `stop`), as the gateway test does. */
const SAMPLING = { maxTokens: 12, stop: " " };

let a: NodeProcess;
let b: NodeProcess;
let gateway: Gateway;
let gatewayUrl: string;
let home: string;
let rogue: FederationLibp2p;
let topic: string;

async function federation(node: NodeProcess): Promise<FederationStatus> {
  return (await (await fetch(`${node.url}/api/federation`)).json()) as FederationStatus;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function post(url: string, body: unknown) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, source: response.headers.get("x-ns-llm-source"), body: (await response.json()) as Record<string, any> };
}

const refused = async (reason: string) => metricValue(await b.metrics(), `ns_llm_federation_messages_total{result="refused",reason="${reason}"}`);
const accepted = async () => metricValue(await b.metrics(), `ns_llm_federation_messages_total{result="accepted",reason=""}`);

before(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-federation-"));
  a = await spawnNode({ env: { NS_LLM_FEDERATION_LISTEN: LISTEN, NS_LLM_OPERATOR_KEY: KEY_A } });
  const statusA = await federation(a);
  assert.equal(statusA.enabled, true);
  const addressA = statusA.addresses.find((m) => m.includes("/tcp/") && m.includes("/p2p/"))!;
  b = await spawnNode({ env: { NS_LLM_FEDERATION_LISTEN: LISTEN, NS_LLM_FEDERATION_BOOTSTRAP: addressA, NS_LLM_OPERATOR_KEY: KEY_B } });
  const statusB = await federation(b);
  topic = statusB.topic!;
  // Same demo models and parameters: the same manifest set, so the same topic.
  assert.equal(statusA.topic, topic);
  assert.deepEqual(statusA.manifests, statusB.manifests);

  rogue = await createFederationLibp2p({ listen: [LISTEN], bootstrap: [] });
  rogue.services.pubsub.subscribe(topic);
  await rogue.dial(multiaddr(statusB.addresses.find((m) => m.includes("/p2p/"))!));
  await until("A and B to see each other on the topic", async () => (await federation(a)).topicPeers >= 1 && (await federation(b)).topicPeers >= 2);
  await until("the rogue to see B on the topic", async () => rogue.services.pubsub.getSubscribers(topic).length >= 1);

  gateway = await createGateway({
    nodeUrls: [b.url],
    home: path.join(home, "gateway"),
    client: { timeoutMs: 10_000, retry: { attempts: 1, initialDelayMs: 20, maxDelayMs: 50 }, healthCheckMs: 500 },
  });
  gatewayUrl = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
});

after(async () => {
  await gateway?.close();
  await rogue?.stop();
  await a?.stop();
  await b?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe("federated cache", () => {
  test("an answer computed on node A is served through a gateway attached to node B, with A's verified provenance", async () => {
    const prompt = "what does the federated cache share";
    const onA = await post(`${a.url}/generate`, { prompt, ...SAMPLING });
    assert.equal(onA.status, 200);
    assert.equal(onA.body.finishReason, "stop");
    assert.equal(typeof onA.body.auditSeq, "number");
    await until("B to accept A's announcement", async () => (await accepted()) >= 1);
    const generatedOnB = await b.requests("/generate");

    const served = await post(`${gatewayUrl}/generate`, { prompt, ...SAMPLING });
    assert.equal(served.status, 200);
    assert.equal(served.source, "federated");
    assert.equal(served.body.source, "federated");
    assert.equal(served.body.text, onA.body.text);
    const provenance = served.body.federation;
    assert.equal(provenance.operator, operatorA);
    assert.equal(provenance.auditSeq, onA.body.auditSeq);
    assert.equal(provenance.peerId, (await federation(a)).peerId);
    // Anyone can check it: the signature over the record's CID recovers to A's operator.
    assert.equal(await verifyMessage({ address: operatorA, message: federatedAnswerMessage(provenance.cid), signature: provenance.signature }), true);
    // B's model was never asked.
    assert.equal(await b.requests("/generate"), generatedOnB);

    // Other sampling is another key: not A's answer, B computes its own.
    const other = await post(`${gatewayUrl}/generate`, { prompt, ...SAMPLING, maxTokens: 11 });
    assert.equal(other.body.source, "llm");
    const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
    assert.equal(metricValue(text, "ns_llm_gateway_federated_hits_total"), 1);
    const bMetrics = await b.metrics();
    assert.equal(metricValue(bMetrics, 'ns_llm_federation_lookups_total{result="hit"}'), 1);
  });

  test("a forged signature and an out-of-sync answer are refused and counted; neither is served", async () => {
    const { manifests } = await federation(b);
    const forgedPrompt = "a forged answer";
    const key = cacheKey({ generation: manifests!.generation, parameters: manifests!.parameters }, SAMPLING);
    const record = (prompt: string, m = manifests!, k = key): FederatedAnswerRecord => ({
      v: 1, key: k, prompt, text: "forged", model: "demo", tokens: 1, manifests: m, operator: operatorA, auditSeq: 1, time: new Date().toISOString(),
    });
    // Claims A's operator, signed by the rogue's key.
    const forged = await signRecord(record(forgedPrompt), privateKeyToAccount(KEY_ROGUE));
    await rogue.services.pubsub.publish(topic, encodeMessage(forged.message));
    await until("the forged answer to be refused", async () => (await refused("bad_signature")) >= 1);

    // Honestly signed by the rogue's own operator, but made under another generation model.
    const elsewhere = { ...manifests!, generation: "bafkreiaotherxmodelxmanifest" };
    const rogueAccount = privateKeyToAccount(KEY_ROGUE);
    const stale = await signRecord({ ...record("an answer from another model", elsewhere, cacheKey({ generation: elsewhere.generation, parameters: elsewhere.parameters }, SAMPLING)), operator: rogueAccount.address }, rogueAccount);
    await rogue.services.pubsub.publish(topic, encodeMessage(stale.message));
    await until("the out-of-sync answer to be refused", async () => (await refused("out_of_sync")) >= 1);

    const served = await post(`${gatewayUrl}/generate`, { prompt: forgedPrompt, ...SAMPLING });
    assert.equal(served.status, 200);
    assert.notEqual(served.body.source, "federated");
    assert.notEqual(served.body.text, "forged");
  });

  test("malformed, oversized and flooding gossip is bounded and counted, and the node keeps serving", async () => {
    const pubsub = rogue.services.pubsub;
    await pubsub.publish(topic, new TextEncoder().encode("not json {"));
    await pubsub.publish(topic, new TextEncoder().encode(JSON.stringify({ v: 1, record: { v: 1 }, signature: "0x00" })));
    await pubsub.publish(topic, new Uint8Array(100 * 1024).fill(0x61));
    await until("garbage to be counted", async () => (await refused("malformed")) >= 1 && (await refused("schema")) >= 1 && (await refused("oversized")) >= 1);

    // 400 distinct messages at once: past the per-peer burst, they are dropped before parsing.
    const sent = 400;
    await Promise.all(Array.from({ length: sent }, (_, i) => pubsub.publish(topic, new TextEncoder().encode(`flood ${i}`)).catch(() => {})));
    await until("the flood to be rate limited", async () => (await refused("rate_limited")) >= 1);
    const counted = (await refused("rate_limited")) + (await refused("malformed"));
    assert.ok(counted <= sent + 10, `${counted} counted for ${sent} sent`);

    assert.equal((await fetch(`${b.url}/health`)).status, 200);
    const served = await post(`${gatewayUrl}/generate`, { prompt: "still serving after the flood", ...SAMPLING });
    assert.equal(served.status, 200);
    assert.equal(served.body.source, "llm");
    assert.ok(b.running);
  });
});
