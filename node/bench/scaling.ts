/**
 * Aggregate throughput with 1, 2 and 3 nodes behind one gateway: real node processes
 * (`ns-llm serve --demo --no-chain`, one inference thread each), the gateway spreading by load
 * (ns-llm-client `balance: "load"`), generations that each reach a node (`cache: false`).
 *
 *   node bench/scaling.ts [--requests N] [--max-tokens T] [--rounds R]
 *
 * Threads are split so nodes do not fight for cores: each node runs one inference thread and is
 * pinned (taskset) to core i mod <cores>. On a 2-core machine the third node shares a core with
 * the first, and the gateway and the load generator (this process) run on both: the figure for 3
 * nodes shows what a third node adds when no core is free for it. Rounds alternate the order
 * (1,2,3 then 3,2,1) so a neighbour's load on a shared machine hits every size alike; each figure
 * is the median of the rounds.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Agent, fetch } from "undici";
import { createGateway } from "../src/gateway/index.ts";
import { spawnNode, type NodeProcess } from "../test/helpers/node-process.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "60" },
    "max-tokens": { type: "string", default: "32" },
    rounds: { type: "string", default: "3" },
  },
});
const requests = Number(values.requests);
const maxTokens = Number(values["max-tokens"]);
const rounds = Number(values.rounds);
const cores = os.cpus().length;

/** Pins every thread of `pid` to one core; false when taskset is missing. */
function pin(pid: number, core: number): boolean {
  try {
    execFileSync("taskset", ["-a", "-cp", String(core), String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const nodes: NodeProcess[] = [];
const agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `requests` generations through a gateway in front of the first `n` nodes; answers per second. */
async function measure(n: number, round: number): Promise<{ rate: number; shares: number[] }> {
  const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-scaling-"));
  const gateway = await createGateway({ nodeUrls: nodes.slice(0, n).map((x) => x.url), home, client: { healthCheckMs: 0, timeoutMs: 120_000 } });
  try {
    await gateway.client.checkHealth(); // each node's advertised capacity
    const url = await gateway.app.listen({ host: "127.0.0.1", port: 0 });
    const capacity = gateway.client.endpoints().reduce((s, e) => s + e.capacity, 0);
    // Twice the slots behind the gateway: every node always has a request waiting.
    const parallel = 2 * capacity;
    let next = 0;
    const worker = async () => {
      while (next < requests) {
        const i = next++;
        const response = await fetch(`${url}/generate`, {
          method: "POST",
          dispatcher: agent,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ prompt: `Round ${round} question ${i}: tell me about rivers and boats`, maxTokens, temperature: 0, cache: false }),
        });
        const body = (await response.json()) as { source?: string };
        if (response.status !== 200 || body.source !== "llm") throw new Error(`answer ${i}: ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
      }
    };
    const began = performance.now();
    await Promise.all(Array.from({ length: parallel }, worker));
    const seconds = (performance.now() - began) / 1000;
    return { rate: requests / seconds, shares: gateway.client.endpoints().map((e) => e.served) };
  } finally {
    await gateway.close();
    await rm(home, { recursive: true, force: true });
  }
}

try {
  for (let i = 0; i < 3; i++) nodes.push(await spawnNode());
  const pinned = nodes.map((node, i) => pin(node.pid, i % cores));
  console.log(`scaling benchmark: ${cores} cores, Node ${process.version}; demo models, 1 inference thread per node`);
  console.log(`  nodes pinned to cores ${pinned.every(Boolean) ? nodes.map((_, i) => i % cores).join(", ") : "(taskset unavailable: not pinned)"}; gateway + load generator unpinned`);
  console.log(`  ${requests} generations (maxTokens ${maxTokens}, cache off) per measurement, ${rounds} rounds alternating the order`);
  // Warm-up: every node's first runs, the JIT.
  await measure(3, 0);
  const rates: Record<number, number[]> = { 1: [], 2: [], 3: [] };
  for (let r = 1; r <= rounds; r++) {
    for (const n of r % 2 === 1 ? [1, 2, 3] : [3, 2, 1]) {
      const { rate, shares } = await measure(n, r);
      rates[n]!.push(rate);
      console.log(`  round ${r}, ${n} node${n > 1 ? "s" : ""}: ${rate.toFixed(1)} answers/s (served per node: ${shares.join(", ")})`);
    }
  }
  const base = median(rates[1]!);
  // Each round's own ratio too: neighbours' load drifts between rounds, less within one.
  const paired = (n: number) => median(rates[n]!.map((rate, r) => rate / rates[1]![r]!));
  console.log("\n  nodes  answers/s (median)  vs 1 node (medians)  vs 1 node (median of per-round ratios)");
  for (const n of [1, 2, 3]) {
    console.log(`  ${String(n).padStart(5)}  ${median(rates[n]!).toFixed(1).padStart(19)}  ${(median(rates[n]!) / base).toFixed(2).padStart(18)}x  ${paired(n).toFixed(2).padStart(37)}x`);
  }
} finally {
  await Promise.all(nodes.map((n) => n.stop()));
  await agent.close();
}
