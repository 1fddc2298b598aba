/**
 * The gateway and ns-llm-client against a real node process (`ns-llm serve --demo --no-chain`,
 * one inference thread):
 *
 * 1. /generate through the gateway over HTTP: a cache hit (the same prompt again: one embedding
 *    on the node, one scan of the cache) against a miss (embedding, generation on the node, cache
 *    write), and the node's own /generate for reference. p50 and p95.
 * 2. /embed: ns-llm-client (breaker, retry policy, failover loop, JSON) against a bare undici
 *    fetch on a keep-alive Agent of the same settings, one text per call, sequential. The
 *    difference of the p50s is the client's overhead.
 *
 *   node bench/gateway.ts [--requests N] [--max-tokens T] [--rounds R]
 *
 * Rounds (for /embed: single calls) alternate the compared sides so that a neighbour's load on a
 * shared machine hits both alike; each figure is a quantile over all its samples.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Agent, fetch } from "undici";
import { createNodeClient } from "../src/client/index.ts";
import { createGateway } from "../src/gateway/index.ts";
import { spawnNode } from "../test/helpers/node-process.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "100" },
    "max-tokens": { type: "string", default: "32" },
    rounds: { type: "string", default: "4" },
  },
});
const requests = Number(values.requests);
const maxTokens = Number(values["max-tokens"]);
const rounds = Number(values.rounds);

const quantile = (samples: number[], q: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;
const row = (name: string, samples: number[]) =>
  console.log(`  ${name.padEnd(34)} p50 ${ms(quantile(samples, 0.5)).padStart(10)}   p95 ${ms(quantile(samples, 0.95)).padStart(10)}   n=${samples.length}`);

// Prompts that share no words with each other, so the demo embedding model (random weights,
// where unrelated prompts are ~0.9 similar) does not call them the same question at 0.999.
const words = "river boat bird tree stone cloud lamp door wheel glass paper sugar salt wind fire snow hill road bread clock".split(" ");
let seed = 7;
const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
const freshPrompt = (i: number) => `Question ${i}: ${Array.from({ length: 6 + (next() % 6) }, () => words[next() % words.length]).join(" ")}?`;

const node = await spawnNode();
const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-gateway-"));
const gateway = await createGateway({ nodeUrls: [node.url], home, cacheSimilarity: 0.999, client: { healthCheckMs: 0 } });
const gatewayUrl = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
const agent = new Agent({ connections: 16, keepAliveTimeout: 10_000, connectTimeout: 2_000 });
const client = createNodeClient({ endpoints: [node.url], healthCheckMs: 0 });

const post = async (url: string, body: unknown) => {
  const response = await fetch(url, { method: "POST", dispatcher: agent, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
};
const timed = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
  const began = performance.now();
  const value = await fn();
  return [performance.now() - began, value];
};

try {
  console.log(`gateway benchmark: node ${node.url} (demo models, 1 thread), ${os.cpus().length} cores, Node ${process.version}`);
  console.log(`  ${requests} requests per side per round, ${rounds} rounds, maxTokens ${maxTokens}`);

  // Warm-up: the models' first runs, the connections, the JIT.
  const hitPrompt = "What is NS-LLM?";
  await post(`${gatewayUrl}/generate`, { prompt: hitPrompt, maxTokens });
  for (let i = 0; i < 20; i++) {
    await post(`${node.url}/generate`, { prompt: freshPrompt(-i), maxTokens, temperature: 0 });
    await client.embed({ input: "warm up" });
    await post(`${node.url}/embed`, { input: "warm up" });
  }

  // 1. Cache hit vs node generation.
  const hit: number[] = [];
  const miss: number[] = [];
  const direct: number[] = [];
  let accidentalHits = 0;
  let generatedTokens = 0;
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < requests; i++) {
      const [t, answer] = await timed(() => post(`${gatewayUrl}/generate`, { prompt: hitPrompt, maxTokens }));
      if (answer.source !== "cache") throw new Error(`expected a cache hit, got ${answer.source}`);
      hit.push(t);
    }
    for (let i = 0; i < requests; i++) {
      const [t, answer] = await timed(() => post(`${gatewayUrl}/generate`, { prompt: freshPrompt(n++), maxTokens }));
      if (answer.source === "llm") {
        miss.push(t);
        generatedTokens += Number(answer.tokens);
      } else accidentalHits++;
    }
    for (let i = 0; i < requests; i++) {
      const [t] = await timed(() => post(`${node.url}/generate`, { prompt: freshPrompt(n++), maxTokens }));
      direct.push(t);
    }
  }
  console.log("\n/generate");
  row("gateway, cache hit", hit);
  row("gateway, miss (embed+generate+store)", miss);
  row("node /generate (reference)", direct);
  console.log(`  a cache hit takes ${(quantile(hit, 0.5) / quantile(miss, 0.5) * 100).toFixed(1)}% of a miss at p50 (${(quantile(miss, 0.5) / quantile(hit, 0.5)).toFixed(1)}x faster); misses averaged ${(generatedTokens / miss.length).toFixed(1)} tokens${accidentalHits ? `; ${accidentalHits} fresh prompts hit the cache and were left out` : ""}`);
  console.log(`  cache entries scanned per lookup: ${gateway.cache.size()}`);

  // 2. Client overhead on /embed.
  const viaClient: number[] = [];
  const viaFetch: number[] = [];
  // Alternating call by call, so both sides see the same moments of a shared machine.
  for (let i = 0; i < requests * rounds; i++) {
    viaClient.push((await timed(() => client.embed({ input: `text number ${i}` })))[0]);
    viaFetch.push((await timed(() => post(`${node.url}/embed`, { input: `text number ${i}` })))[0]);
  }
  console.log("\n/embed, one text per call, sequential");
  row("ns-llm-client", viaClient);
  row("bare undici fetch, keep-alive Agent", viaFetch);
  const overhead = quantile(viaClient, 0.5) - quantile(viaFetch, 0.5);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  console.log(`  client overhead at p50: ${ms(overhead)} (${((quantile(viaClient, 0.5) / quantile(viaFetch, 0.5) - 1) * 100).toFixed(1)}%); in the mean: ${ms(mean(viaClient) - mean(viaFetch))}`);
} finally {
  await client.close();
  await agent.close();
  await gateway.close();
  await node.stop();
  await rm(home, { recursive: true, force: true });
}
