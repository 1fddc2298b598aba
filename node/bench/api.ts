/**
 * Benchmark of the HTTP API against the engines it wraps (not a test: it prints figures).
 *
 *   node node/bench/api.ts [--duration 60] [--tokens 128] [--rounds 3] [--gguf FILE] [--window MS] [--no-audit] [--embeddings-only] [--minilm-shape]
 *
 * - embeddings/s: the engine directly vs POST /embed, batch 1 and batch 32, and 32 concurrent
 *   single-text requests (micro-batching);
 * - generation: tokens/s and time to first token, engine vs POST /generate, 8 requests one after
 *   the other (SSE, and JSON), and 8 at once (SSE): aggregate tokens/s of 8 concurrent vs 8
 *   sequential;
 * - the server's CPU time per request or per token (process.cpuUsage(), inference threads
 *   included), engine and API alike, so API minus engine is the server's own work;
 * - p50/p99 latency of /embed at 20 requests/s (open loop) for --duration seconds;
 * - the process's memory (RSS) before, at peak, and after.
 * Every answer is recorded in a real audit log (<home>/audit.db, durable: one fsync per group
 * commit, batches closed every 100 entries), as a node serves; --no-audit leaves it out.
 * The HTTP client runs in a child process (bench/api-client.ts), so its fetch and SSE parsing use
 * neither the server's event loop nor its CPU. Each figure is the median of --rounds rounds, the
 * engine and the API measured alternately so that a neighbour's load hits both alike.
 * Models: the generated demo models (or --gguf for generation; --minilm-shape: an encoder of
 * all-MiniLM-L6-v2's shape, random weights, for embedding figures that cost what the real model
 * costs), threads from NS_LLM_THREADS.
 */
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startNode } from "../src/app/index.ts";
import { loadConfig } from "../src/config.ts";
import { MINILM_SHAPE, writeDemoBert } from "../src/demo/index.ts";
import type { EmbeddingEngine, GenerationEngine } from "../src/inference/index.ts";
import type { ClientJob, EmbedResult, GenerateResult, LatencyResult, StreamRun } from "./api-client.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "60" },
    tokens: { type: "string", default: "128" },
    rounds: { type: "string", default: "3" },
    gguf: { type: "string" },
    window: { type: "string" },
    "no-audit": { type: "boolean", default: false },
    // Only the embeddings table (skips generation and the latency run): quick to compare changes.
    "embeddings-only": { type: "boolean", default: false },
    // The embedding model: an encoder of all-MiniLM-L6-v2's shape (44 MB), not the demo's (kilobytes).
    "minilm-shape": { type: "boolean", default: false },
  },
});
const duration = Number(values.duration);
const maxTokens = Number(values.tokens);
const rounds = Number(values.rounds);

const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-"));
const config = loadConfig({ ...process.env, NS_LLM_HOME: home, NS_LLM_PORT: "0", NS_LLM_HOST: "127.0.0.1" });
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const rssStart = process.memoryUsage().rss;
const audit = !values["no-audit"];
const minilmShape = values["minilm-shape"] ? await writeDemoBert(path.join(home, "minilm-shape"), MINILM_SHAPE) : undefined;
const node = await startNode(config, {
  demo: true,
  chain: false,
  parameters: {},
  recordAnswers: audit,
  sequences: 8,
  ...(values.window !== undefined ? { embedBatchWindowMs: Number(values.window) } : {}),
  contextSize: 8 * 1024,
  scheduler: { maxQueue: 64, maxOutputTokens: 4096 },
  ...(values.gguf ? { generation: { modelPath: values.gguf } } : {}),
  ...(minilmShape ? { embedding: { model: minilmShape.model, tokenizer: minilmShape.vocab, name: "minilm-shape" } } : {}),
});
const rssLoaded = process.memoryUsage().rss;
const url = node.url;
const lease = <E>(slot: { acquire(): { engine: E; release(): void } | undefined }) => {
  const l = slot.acquire();
  if (!l) throw new Error("model not loaded");
  l.release();
  return l.engine;
};
const gen: GenerationEngine = lease(node.models.slots.generation);
const emb: EmbeddingEngine = lease(node.models.slots.embedding);
console.log(`ns-llm API benchmark: ${os.cpus()[0]?.model ?? "cpu"} x${os.availableParallelism()}, threads ${config.threads}, Node ${process.version}`);
console.log(`embedding micro-batch window: ${values.window ?? 0} ms; audit log: ${audit ? "on (durable, one fsync per group commit)" : "off (--no-audit)"}`);
console.log(`models: generation ${gen.info.name} (capacity ${gen.capacity}), embedding ${emb.info.name} (${emb.info.dimensions} dims); medians of ${rounds} rounds\n`);

const texts = Array.from({ length: 32 }, (_, i) => `Sentence number ${i} about governed local inference on the node.`);
const fmt = (n: number, d = 1) => n.toFixed(d);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Runs a client job in a child process (its own event loop and CPU, like a real client). */
function inClient<R>(job: ClientJob): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL("./api-client.ts", import.meta.url), { serialization: "advanced" });
    child.once("message", (result) => resolve(result as R));
    child.once("error", reject);
    child.once("exit", (code) => code !== 0 && reject(new Error(`the benchmark client exited with code ${code}`)));
    child.send(job);
  });
}

/** The process's CPU time (ms, all threads) spent while `work` runs. */
async function cpuOf<T>(work: () => Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const before = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(before);
  return { value, cpuMs: (used.user + used.system) / 1000 };
}

/** Runs `once` (which embeds `per` texts) repeatedly for about `ms`; returns texts per second. */
async function rate(per: number, once: () => Promise<unknown>, ms = 3000): Promise<{ perSecond: number; requests: number }> {
  for (let i = 0; i < 3; i++) await once(); // warm up
  let n = 0;
  let requests = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await once();
    n += per;
    requests++;
  }
  return { perSecond: n / ((performance.now() - t0) / 1000), requests };
}

// --- embeddings/s
type Pair = { engine: number; api: number; engineCpu: number; apiCpu: number; perSync: number };
const auditCounts = () => (audit ? node.audit.log.status() : { entries: 0, syncs: 0 });
const embedRows: Array<[string, Pair]> = [];
for (const [label, batch, concurrent, clients] of [
  ["batch 1", 1, false, 1],
  ["batch 32", 32, false, 1],
  ["batch 32, 4 clients", 32, false, 4],
  ["32 concurrent x 1", 32, true, 1],
] as const) {
  const samples: Pair[] = [];
  for (let r = 0; r < rounds; r++) {
    // The engine's row for 32 concurrent single texts is its batch of 32 (what micro-batching aims at).
    const e = await cpuOf(() => rate(batch, () => emb.embed(texts.slice(0, batch))));
    const before = auditCounts();
    const a = await cpuOf(() => inClient<EmbedResult>({ kind: "embed", url, texts, batch, ms: 3000, concurrent, clients }));
    const after = auditCounts();
    // Answers (audit entries) each durable sync covered: group commit at work.
    const perSync = (after.entries - before.entries) / Math.max(1, (after.syncs ?? 0) - (before.syncs ?? 0));
    samples.push({ engine: e.value.perSecond, api: a.value.perSecond, engineCpu: e.cpuMs / e.value.requests, apiCpu: a.cpuMs / a.value.requests, perSync });
  }
  embedRows.push([label, medians(samples)]);
}
console.log("embeddings/s                engine        API  API/engine | server CPU ms per request: engine   API | answers a sync");
for (const [label, p] of embedRows) {
  console.log(
    `  ${label.padEnd(20)} ${fmt(p.engine).padStart(9)} ${fmt(p.api).padStart(10)}  ${fmt(p.api / p.engine, 2).padStart(10)} | ${fmt(p.engineCpu, 3).padStart(33)} ${fmt(p.apiCpu, 3).padStart(5)} | ${audit ? fmt(p.perSync, 1).padStart(14) : "-".padStart(14)}`,
  );
}
console.log("  (4 clients and 32 concurrent x 1: API against the engine's batch of 32, one after the other; CPU per HTTP request)\n");
if (audit) {
  const s = node.audit.log.status();
  console.log(`audit log: ${s.entries} entries, ${s.commits} transactions, ${s.syncs} syncs (${fmt(s.entries / Math.max(1, s.syncs), 1)} entries a sync)\n`);
}
if (values["embeddings-only"]) {
  clearInterval(sampler);
  await node.close();
  await rm(home, { recursive: true, force: true });
  process.exit(0);
}

// --- generation
type Summary = { aggregate: number; perStream: number; ttft: number; cpuPerTokenUs: number };
async function engineRun(): Promise<StreamRun> {
  const t0 = performance.now();
  let first = 0;
  const r = await gen.complete({ prompt: "Once upon a time", maxTokens, temperature: 0.8, onToken: () => (first ||= performance.now()) });
  return { tokens: r.tokens, ttftMs: first - t0, ms: performance.now() - t0 };
}
async function engineStreams(n: number, concurrent: boolean): Promise<GenerateResult> {
  await engineRun(); // warm up
  const t0 = performance.now();
  const runs: StreamRun[] = [];
  if (concurrent) runs.push(...(await Promise.all(Array.from({ length: n }, engineRun))));
  else for (let i = 0; i < n; i++) runs.push(await engineRun());
  return { runs, wallMs: performance.now() - t0 };
}
function summarize({ value: { runs, wallMs }, cpuMs }: { value: GenerateResult; cpuMs: number }): Summary {
  const n = runs.length;
  const tokens = runs.reduce((s, r) => s + r.tokens, 0);
  // JSON answers have no first token apart: their per-stream speed counts the whole request.
  const perStream = runs.reduce((s, r) => s + r.tokens / (Math.max(r.ms - r.ttftMs, 0) || r.ms) * 1000, 0) / n;
  const ttft = runs.reduce((s, r) => s + r.ttftMs, 0) / n;
  return { aggregate: tokens / (wallMs / 1000), perStream, ttft, cpuPerTokenUs: (cpuMs * 1000) / tokens };
}
const genRows: Array<[string, Summary, Summary]> = [];
for (const [label, n, concurrent, stream] of [
  ["8 sequential, SSE", 8, false, true],
  ["8 sequential, JSON", 8, false, false],
  ["8 concurrent, SSE", 8, true, true],
] as const) {
  const e: Summary[] = [];
  const a: Summary[] = [];
  for (let r = 0; r < rounds; r++) {
    e.push(summarize(await cpuOf(() => engineStreams(n, concurrent))));
    a.push(summarize(await cpuOf(() => inClient<GenerateResult>({ kind: "generate", url, n, concurrent, maxTokens, stream }))));
  }
  genRows.push([label, medians(e), medians(a)]);
}
console.log(`generation (${maxTokens} tokens each)  engine: agg tok/s  per-stream  TTFT ms | API: agg tok/s  per-stream  TTFT ms | API/engine agg | CPU us/token engine  API`);
for (const [label, e, a] of genRows) {
  console.log(
    `  ${label.padEnd(19)} ${fmt(e.aggregate).padStart(15)} ${fmt(e.perStream).padStart(11)} ${fmt(e.ttft).padStart(8)} | ${fmt(a.aggregate).padStart(13)} ${fmt(a.perStream).padStart(11)} ${fmt(a.ttft).padStart(8)} | ${fmt(a.aggregate / e.aggregate, 2).padStart(14)} | ${fmt(e.cpuPerTokenUs, 0).padStart(19)} ${fmt(a.cpuPerTokenUs, 0).padStart(4)}`,
  );
}
console.log("  (JSON: TTFT is the whole answer's time, per-stream tok/s counts it all)");
const [, e8s, a8s] = genRows[0]!;
const [, e8c, a8c] = genRows[2]!;
console.log(`  aggregate 8 concurrent / 8 sequential: engine ${fmt(e8c.aggregate / e8s.aggregate, 2)}x, API ${fmt(a8c.aggregate / a8s.aggregate, 2)}x\n`);
const rssAfterGen = process.memoryUsage().rss;

// --- /embed latency at 20 req/s, open loop
const { latencies, errors } = await inClient<LatencyResult>({ kind: "latency", url, texts, perSecond: 20, seconds: duration });
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
console.log(`/embed at 20 req/s for ${duration} s: ${latencies.length} ok, ${errors} errors, p50 ${fmt(pct(50), 2)} ms, p99 ${fmt(pct(99), 2)} ms, max ${fmt(latencies.at(-1)!, 2)} ms\n`);

const mib = (b: number) => `${Math.round(b / 1024 ** 2)} MiB`;
console.log(`memory (RSS): start ${mib(rssStart)}, models loaded ${mib(rssLoaded)}, after generation runs ${mib(rssAfterGen)}, peak ${mib(peakRss)}, end ${mib(process.memoryUsage().rss)}`);
if (audit) console.log(`audit log: ${node.audit.log.size} entries, ${node.audit.log.status().commits} commits`);
clearInterval(sampler);
await node.close();
await rm(home, { recursive: true, force: true });

/** Field by field medians of the rounds. */
function medians<T extends Record<string, number>>(samples: T[]): T {
  const keys = Object.keys(samples[0]!) as Array<keyof T>;
  return Object.fromEntries(keys.map((k) => [k, median(samples.map((s) => s[k] as number))])) as T;
}
