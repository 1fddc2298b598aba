/**
 * The federated cache's figures:
 *
 * 1. Per message, in this process: the size of a gossip message for answers of a few lengths, the
 *    time to sign one (operator key, EIP-191 over the record's CID), to check one (decode + CID +
 *    signature recovery), and to refuse garbage (decode only) and a flood (the rate limit alone).
 * 2. A small network: N real node processes (`ns-llm serve --demo --no-chain`, one thread each),
 *    libp2p on loopback (each bootstrapped to the first), one gateway per node. R /generate
 *    requests, round robin over the gateways, each prompt drawn at random from a pool of K: how
 *    many were answered from the gateway's own cache, from a peer's answer (federated), or
 *    computed. "Without federation" replays the same trace with each gateway's own cache only.
 *
 *   node bench/federation.ts [--nodes N] [--requests R] [--prompts K] [--messages M]
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { FederatedAnswerRecord, FederationStatus } from "@ns-llm/contracts";
import { privateKeyToAccount } from "viem/accounts";
import { decodeMessage, encodeMessage, signRecord, verifyRecord } from "../src/federation/index.ts";
import { createPeerRateLimit } from "../src/federation/rate-limit.ts";
import { createGateway, type Gateway } from "../src/gateway/index.ts";
import { DEV_KEYS } from "../test/helpers/chain.ts";
import { metricValue } from "../test/helpers/api-node.ts";
import { spawnNode, type NodeProcess } from "../test/helpers/node-process.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "3" },
    requests: { type: "string", default: "150" },
    prompts: { type: "string", default: "30" },
    messages: { type: "string", default: "300" },
    seed: { type: "string", default: "7" },
  },
});
const nodes = Number(values.nodes);
const requests = Number(values.requests);
const pool = Number(values.prompts);
const messages = Number(values.messages);

// Hardhat's dev accounts: one operator per node.
const KEYS = DEV_KEYS;

const quantile = (samples: number[], q: number) => [...samples].sort((x, y) => x - y)[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

// 1. Per message.
{
  const account = privateKeyToAccount(KEYS[0]);
  const record = (text: string): FederatedAnswerRecord => ({
    v: 1,
    key: JSON.stringify({ generation: "bafkreibl5ucqaqvqatrlhzpjgfvmpqxzkrbdpnmcecrzjyo6qdxkkzcxni", parameters: "sha256:4d2c6e0ab0d35a7c3a41f0cb4cd3cbc0a1e2b6f4a7f6f0a2b1d4c3e5f6a7b8c9", sampling: [12, null, null, null, null, null, [" "]] }),
    prompt: "What does the federated cache share between nodes?",
    text,
    model: "ns-llm-demo-llama",
    tokens: Math.ceil(text.length / 4),
    manifests: { generation: "bafkreibl5ucqaqvqatrlhzpjgfvmpqxzkrbdpnmcecrzjyo6qdxkkzcxni", embedding: "bafkreihw7k2wq6dfyxflnbr2pdxyhrf3o5h3k3r6lqjsuy6qmjyfc3d4ku", parameters: "sha256:4d2c6e0ab0d35a7c3a41f0cb4cd3cbc0a1e2b6f4a7f6f0a2b1d4c3e5f6a7b8c9" },
    operator: account.address,
    auditSeq: 1234,
    time: new Date().toISOString(),
  });
  console.log("## per message\n");
  console.log("| answer | message bytes | sign p50 | verify p50 (decode + CID + recover) | verify p95 |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const [label, text] of [["one word", "Paris"], ["200 chars", "x".repeat(200)], ["2,000 chars", "x".repeat(2000)]] as const) {
    const signs: number[] = [];
    const verifies: number[] = [];
    let bytes = 0;
    for (let i = 0; i < messages; i++) {
      const r = { ...record(text), auditSeq: i };
      let t = performance.now();
      const { message } = await signRecord(r, account);
      signs.push(performance.now() - t);
      const data = encodeMessage(message);
      bytes = data.byteLength;
      t = performance.now();
      const decoded = decodeMessage(data);
      if (!decoded.ok || !(await verifyRecord(decoded.message.record, decoded.message.signature))) throw new Error("a good message did not verify");
      verifies.push(performance.now() - t);
    }
    console.log(`| ${label} | ${bytes} | ${us(quantile(signs, 0.5))} | ${us(quantile(verifies, 0.5))} | ${us(quantile(verifies, 0.95))} |`);
  }
  const garbage = new TextEncoder().encode("{not json".repeat(100));
  let t = performance.now();
  for (let i = 0; i < messages; i++) decodeMessage(garbage);
  const refuseGarbage = (performance.now() - t) / messages;
  const limit = createPeerRateLimit();
  t = performance.now();
  for (let i = 0; i < messages * 100; i++) limit.take("flooder");
  const refuseFlood = (performance.now() - t) / (messages * 100);
  console.log(`\nrefusing garbage (${garbage.byteLength} bytes, decode only): ${us(refuseGarbage)} per message; a flooded message (rate limit only): ${(refuseFlood * 1e6).toFixed(0)} ns\n`);
}

// 2. A small network.
const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-federation-"));
const procs: NodeProcess[] = [];
const gateways: Gateway[] = [];
try {
  for (let i = 0; i < nodes; i++) {
    const first = i === 0 ? undefined : ((await (await fetch(`${procs[0]!.url}/api/federation`)).json()) as FederationStatus).addresses.find((m) => m.includes("/p2p/"));
    procs.push(
      await spawnNode({
        env: {
          NS_LLM_FEDERATION_LISTEN: "/ip4/127.0.0.1/tcp/0",
          ...(first ? { NS_LLM_FEDERATION_BOOTSTRAP: first } : {}),
          NS_LLM_OPERATOR_KEY: KEYS[i % KEYS.length]!,
        },
      }),
    );
  }
  // Every node sees every other on the topic (gossip reaches all through the mesh).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const states = await Promise.all(procs.map(async (p) => ((await (await fetch(`${p.url}/api/federation`)).json()) as FederationStatus).topicPeers));
    if (states.every((n) => n >= 1) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const urls: string[] = [];
  for (const [i, p] of procs.entries()) {
    const g = await createGateway({ nodeUrls: [p.url], home: path.join(home, `gateway-${i}`), cacheSimilarity: 0.99999, client: { healthCheckMs: 0 } });
    gateways.push(g);
    urls.push(await g.app.listen({ host: "127.0.0.1", port: 0 }));
  }

  let state = Number(values.seed);
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31), state / 2 ** 31);
  // Prompts of random words, and a similarity threshold of ~1 at the gateways: the demo embedding
  // model has random weights, so different prompts can be "similar" at the usual thresholds, and
  // such cross-prompt hits would blur what this measures (repeats of the same prompt).
  const words = "river copper lantern orbit velvet canyon maple signal harbor quartz ember glacier violin meadow cipher tundra falcon marble prism thunder walnut beacon saffron nebula orchard basalt comet willow granite lagoon".split(" ");
  const prompts = Array.from({ length: pool }, () => Array.from({ length: 8 }, () => words[Math.floor(random() * words.length)]).join(" "));
  const trace = Array.from({ length: requests }, (_, i) => ({ gateway: i % nodes, prompt: prompts[Math.floor(random() * pool)]! }));
  const counts: Record<string, number> = {};
  const latency: Record<string, number[]> = {};
  for (const { gateway, prompt } of trace) {
    const t = performance.now();
    const response = await fetch(`${urls[gateway]}/generate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt, maxTokens: 12, stop: " " }) });
    const body = (await response.json()) as { source: string };
    counts[body.source] = (counts[body.source] ?? 0) + 1;
    (latency[body.source] ??= []).push(performance.now() - t);
  }
  // The same trace with each gateway's own cache only.
  const seen = trace.map(() => new Set<string>());
  let localOnly = 0;
  for (const { gateway, prompt } of trace) {
    if (seen[gateway]!.has(prompt)) localOnly++;
    seen[gateway]!.add(prompt);
  }
  const sizes = await Promise.all(procs.map(async (p) => p.metrics()));
  const sum = sizes.reduce((s, m) => s + metricValue(m, "ns_llm_federation_message_bytes_sum"), 0);
  const count = sizes.reduce((s, m) => s + metricValue(m, "ns_llm_federation_message_bytes_count"), 0);
  const announced = sizes.reduce((s, m) => s + metricValue(m, "ns_llm_federation_announced_total"), 0);
  const verifySum = sizes.reduce((s, m) => s + metricValue(m, "ns_llm_federation_verify_seconds_sum"), 0);
  const hits = (counts.cache ?? 0) + (counts.federated ?? 0);
  console.log(`## ${nodes} nodes, ${requests} requests over ${pool} prompts (round robin over ${nodes} gateways)\n`);
  console.log("| answered from | requests | p50 latency |");
  console.log("| --- | ---: | ---: |");
  for (const source of Object.keys(counts)) console.log(`| ${source} | ${counts[source]} | ${quantile(latency[source]!, 0.5).toFixed(1)} ms |`);
  console.log(`\nhit rate with federation: ${((100 * hits) / requests).toFixed(1)}% (local ${counts.cache ?? 0}, federated ${counts.federated ?? 0}); each gateway's own cache only (same trace, replayed): ${((100 * localOnly) / requests).toFixed(1)}%`);
  console.log(`gossip: ${announced} answers announced, ${count} messages received in all, ${count ? (sum / count).toFixed(0) : 0} bytes on average; signature checks ${count ? us((verifySum / count) * 1000) : "-"} on average in the nodes`);
} finally {
  for (const g of gateways) await g.close();
  for (const p of procs) await p.stop();
  await rm(home, { recursive: true, force: true });
}
