/**
 * Benchmark: does a proposal dry-run disturb serving? (issue 16; not a test: it prints figures)
 *
 *   node node/bench/dry-run.ts [--duration 20] [--tokens 8] [--rounds 3]
 *
 * A node serving the demo models (in this process, threads from NS_LLM_THREADS, no chain) answers
 * a steady closed loop of POST /generate (2 clients, --tokens tokens each, 20 ms pause) for
 * --duration seconds in each phase, and the latency's p50/p99/max is printed per phase:
 *   1. before: serving alone;
 *   2. during dry-runs: sandbox processes evaluate another model back to back (the built-in suite,
 *      1 GiB budget, lowest priority, one thread), as a node does for a proposal;
 *   3. during refusals: sandboxes whose budget (64 MiB) is crossed while they load, stopped each time.
 * The three phases alternate for --rounds rounds (a neighbour's load hits all alike); each round's
 * figures are printed, then the median over rounds. Also prints each phase's failed requests
 * (expected 0) and the sandboxes' own figures. The HTTP clients run in this process.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startNode } from "../src/app/index.ts";
import { loadConfig } from "../src/config.ts";
import { encodeDemoLlama } from "../src/demo/index.ts";
import { BUILTIN_SUITE, runSandbox, type SandboxOutcome } from "../src/dry-run/index.ts";

const { values } = parseArgs({ options: { duration: { type: "string", default: "20" }, tokens: { type: "string", default: "8" }, rounds: { type: "string", default: "3" } } });
const rounds = Number(values.rounds);
const durationMs = Number(values.duration) * 1000;
const maxTokens = Number(values.tokens);

const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-dry-run-"));
const config = loadConfig({ ...process.env, NS_LLM_HOME: home, NS_LLM_PORT: "0", NS_LLM_HOST: "127.0.0.1" });
const node = await startNode(config, { demo: true, chain: false, parameters: {}, sequences: 2, log: () => {}, logger: false });
const candidate = path.join(home, "candidate.gguf");
await writeFile(candidate, encodeDemoLlama({ seed: 0x0b0b_1616, name: "candidate" }));
const job = { role: "generation" as const, modelPath: candidate, name: "candidate", threads: 1, contextSize: 512, prompts: BUILTIN_SUITE.prompts, maxTokens: BUILTIN_SUITE.maxTokens };
console.log(`ns-llm dry-run interference benchmark: ${os.cpus()[0]?.model ?? "cpu"} x${os.availableParallelism()}, serving threads ${config.threads}, Node ${process.version}, ${values.duration} s per phase, ${maxTokens} tokens per request\n`);

async function serve(background?: () => Promise<SandboxOutcome>): Promise<{ latencies: number[]; failures: number; outcomes: SandboxOutcome[] }> {
  const latencies: number[] = [];
  let failures = 0;
  const end = Date.now() + durationMs;
  const client = async () => {
    while (Date.now() < end) {
      const t0 = performance.now();
      try {
        const r = await fetch(`${node.url}/generate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: "Tell me about the network", maxTokens, temperature: 0 }) });
        const body = (await r.json()) as { source?: string };
        if (r.status !== 200 || body.source !== "llm") failures++;
      } catch {
        failures++;
      }
      latencies.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const outcomes: SandboxOutcome[] = [];
  const sandboxes = async () => {
    while (background && Date.now() < end) outcomes.push(await background());
  };
  await Promise.all([client(), client(), sandboxes()]);
  return { latencies, failures, outcomes };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const line = (name: string, r: Awaited<ReturnType<typeof serve>>) =>
  `${name.padEnd(22)} ${String(r.latencies.length).padStart(5)} requests  p50 ${pct(r.latencies, 50).toFixed(1).padStart(7)} ms  p99 ${pct(r.latencies, 99).toFixed(1).padStart(7)} ms  max ${Math.max(...r.latencies).toFixed(1).padStart(7)} ms  failed ${r.failures}`;

await serve(); // warm-up (first requests load caches)
type Phase = Awaited<ReturnType<typeof serve>>;
const phases: Record<string, Phase[]> = { "before (serving alone)": [], "during dry-runs": [], "during refusals": [] };
for (let round = 1; round <= rounds; round++) {
  console.log(`round ${round}`);
  const runs: Array<[string, (() => Promise<SandboxOutcome>) | undefined]> = [
    ["before (serving alone)", undefined],
    ["during dry-runs", () => runSandbox({ job, memoryBudgetBytes: 1024 ** 3, timeoutMs: 120_000 })],
    ["during refusals", () => runSandbox({ job, memoryBudgetBytes: 64 * 1024 ** 2, timeoutMs: 120_000 })],
  ];
  for (const [name, background] of runs) {
    const r = await serve(background);
    phases[name]!.push(r);
    console.log(`  ${line(name, r)}`);
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\nmedian over ${rounds} rounds:`);
for (const [name, rs] of Object.entries(phases)) {
  const p50 = med(rs.map((r) => pct(r.latencies, 50)));
  const p99 = med(rs.map((r) => pct(r.latencies, 99)));
  const failed = rs.reduce((s, r) => s + r.failures, 0);
  const requests = rs.reduce((s, r) => s + r.latencies.length, 0);
  console.log(`  ${name.padEnd(22)} ${String(requests).padStart(5)} requests  p50 ${p50.toFixed(1).padStart(7)} ms  p99 ${p99.toFixed(1).padStart(7)} ms  failed ${failed}`);
}
const during = phases["during dry-runs"]!.flatMap((r) => r.outcomes);
const refusing = phases["during refusals"]!.flatMap((r) => r.outcomes);
const done = during.filter((o) => o.kind === "done" && o.result.ok);
const loads = done.map((o) => (o.kind === "done" && o.result.ok ? o.result.loadMs : 0));
console.log(`\ndry-runs completed: ${done.length} (load ${loads.length ? `${pct(loads, 50).toFixed(0)} ms median` : "-"}, peak RSS ${done.length ? Math.round(Math.max(...done.map((o) => o.peakRssBytes)) / 1024 ** 2) : "-"} MiB)`);
console.log(`over-budget sandboxes stopped: ${refusing.filter((o) => o.kind === "over_budget").length} of ${refusing.length}`);
await node.close();
await rm(home, { recursive: true, force: true });
