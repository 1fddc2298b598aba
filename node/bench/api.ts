/**
 * Benchmark of the HTTP API against the engines it wraps (not a test: it prints figures).
 *
 *   node node/bench/api.ts [--duration 60] [--tokens 128] [--gguf FILE] [--window MS]
 *
 * - embeddings/s: the engine directly vs POST /embed, batch 1 and batch 32, and 32 concurrent
 *   single-text requests (micro-batching);
 * - generation: tokens/s and time to first token, engine vs POST /generate (SSE), 1 stream and 8
 *   concurrent streams, and aggregate tokens/s of 8 concurrent vs 8 sequential;
 * - p50/p99 latency of /embed at 20 requests/s (open loop) for --duration seconds;
 * - the process's memory (RSS) before, at peak, and after.
 * The API's client runs in a worker thread (bench/api-client.ts), so its fetch and SSE parsing do
 * not run on the server's event loop; the /embed latency client runs on the main thread.
 * Models: the generated demo models (or --gguf for generation), threads from NS_LLM_THREADS.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { loadConfig } from "../src/config.ts";
import { startNode } from "../src/node.ts";
import type { EmbeddingEngine, GenerationEngine } from "../src/inference/types.ts";
import type { ClientJob } from "./api-client.ts";

const { values } = parseArgs({
  options: { duration: { type: "string", default: "60" }, tokens: { type: "string", default: "128" }, gguf: { type: "string" }, window: { type: "string" } },
});
const duration = Number(values.duration);
const maxTokens = Number(values.tokens);

const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-"));
const config = loadConfig({ ...process.env, NS_LLM_HOME: home, NS_LLM_PORT: "0", NS_LLM_HOST: "127.0.0.1" });
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const rssStart = process.memoryUsage().rss;
const node = await startNode(config, {
  demo: true,
  chain: false,
  sequences: 8,
  ...(values.window !== undefined ? { embedBatchWindowMs: Number(values.window) } : {}),
  contextSize: 8 * 1024,
  scheduler: { maxQueue: 64, maxOutputTokens: 4096 },
  ...(values.gguf ? { generation: { modelPath: values.gguf } } : {}),
});
const rssLoaded = process.memoryUsage().rss;
const url = node.url;
const lease = <E>(slot: { acquire(): { engine: E; release(): void } | undefined }) => {
  const l = slot.acquire();
  if (!l) throw new Error("model not loaded");
  l.release();
  return l.engine;
};
const gen: GenerationEngine = lease(node.slots.generation);
const emb: EmbeddingEngine = lease(node.slots.embedding);
console.log(`ns-llm API benchmark: ${os.cpus()[0]?.model ?? "cpu"} x${os.availableParallelism()}, threads ${config.threads}, Node ${process.version}`);
console.log(`embedding micro-batch window: ${values.window ?? 0} ms`);
console.log(`models: generation ${gen.info.name} (capacity ${gen.capacity}), embedding ${emb.info.name} (${emb.info.dimensions} dims)\n`);

const post = (route: string, body: unknown) =>
  fetch(`${url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const texts = Array.from({ length: 32 }, (_, i) => `Sentence number ${i} about governed local inference on the node.`);
const fmt = (n: number, d = 1) => n.toFixed(d);

/** Runs a client job in a worker thread (its own event loop, like a client in another process). */
function inWorker(job: ClientJob): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./api-client.ts", import.meta.url), { workerData: job });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

/** Runs `once` (which embeds `per` texts) repeatedly for about `ms`; returns texts per second. */
async function rate(per: number, once: () => Promise<unknown>, ms = 3000): Promise<number> {
  for (let i = 0; i < 3; i++) await once(); // warm up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await once();
    n += per;
  }
  return n / ((performance.now() - t0) / 1000);
}

// --- embeddings/s
const e1 = await rate(1, () => emb.embed([texts[0]!]));
const a1 = ((await inWorker({ kind: "embed", url, texts, batch: 1, ms: 3000, concurrent: false })) as { perSecond: number }).perSecond;
const e32 = await rate(32, () => emb.embed(texts));
const a32 = ((await inWorker({ kind: "embed", url, texts, batch: 32, ms: 3000, concurrent: false })) as { perSecond: number }).perSecond;
const c32 = ((await inWorker({ kind: "embed", url, texts, batch: 32, ms: 3000, concurrent: true })) as { perSecond: number }).perSecond;
console.log("embeddings/s            engine      API    API/engine");
console.log(`  batch 1            ${fmt(e1).padStart(8)} ${fmt(a1).padStart(8)}    ${fmt(a1 / e1, 2)}`);
console.log(`  batch 32           ${fmt(e32).padStart(8)} ${fmt(a32).padStart(8)}    ${fmt(a32 / e32, 2)}`);
console.log(`  32 concurrent x 1         - ${fmt(c32).padStart(8)}    ${fmt(c32 / e32, 2)} of engine batch 32 (micro-batching)\n`);

// --- generation
type Run = { tokens: number; ttftMs: number; ms: number };
async function engineRun(): Promise<Run> {
  const t0 = performance.now();
  let first = 0;
  const r = await gen.complete({ prompt: "Once upon a time", maxTokens, temperature: 0.8, onToken: () => (first ||= performance.now()) });
  return { tokens: r.tokens, ttftMs: first - t0, ms: performance.now() - t0 };
}
async function engineStreams(n: number, concurrent: boolean): Promise<{ runs: Run[]; wallMs: number }> {
  await engineRun(); // warm up
  const t0 = performance.now();
  const runs: Run[] = [];
  if (concurrent) runs.push(...(await Promise.all(Array.from({ length: n }, engineRun))));
  else for (let i = 0; i < n; i++) runs.push(await engineRun());
  return { runs, wallMs: performance.now() - t0 };
}
function summarize({ runs, wallMs }: { runs: Run[]; wallMs: number }) {
  const n = runs.length;
  const wall = wallMs / 1000;
  const tokens = runs.reduce((s, r) => s + r.tokens, 0);
  const perStream = runs.reduce((s, r) => s + r.tokens / ((r.ms - r.ttftMs) / 1000), 0) / n;
  const ttft = runs.reduce((s, r) => s + r.ttftMs, 0) / n;
  return { aggregate: tokens / wall, perStream, ttft };
}
const rows: Array<[string, ReturnType<typeof summarize>, ReturnType<typeof summarize>]> = [];
for (const [label, n, concurrent] of [["1 stream", 1, false], ["8 concurrent", 8, true], ["8 sequential", 8, false]] as const) {
  const engine = summarize(await engineStreams(n, concurrent));
  const api = summarize((await inWorker({ kind: "generate", url, n, concurrent, maxTokens })) as { runs: Run[]; wallMs: number });
  rows.push([label, engine, api]);
}
console.log(`generation (${maxTokens} tokens each)   engine: agg tok/s  per-stream tok/s  TTFT ms | API: agg tok/s  per-stream tok/s  TTFT ms`);
for (const [label, e, a] of rows) {
  console.log(
    `  ${label.padEnd(14)} ${fmt(e.aggregate).padStart(20)} ${fmt(e.perStream).padStart(17)} ${fmt(e.ttft).padStart(8)} | ${fmt(a.aggregate).padStart(14)} ${fmt(a.perStream).padStart(17)} ${fmt(a.ttft).padStart(8)}`,
  );
}
const [, e8c, a8c] = rows[1]!;
const [, e8s, a8s] = rows[2]!;
console.log(`  aggregate 8 concurrent / 8 sequential: engine ${fmt(e8c.aggregate / e8s.aggregate, 2)}x, API ${fmt(a8c.aggregate / a8s.aggregate, 2)}x\n`);
const rssAfterGen = process.memoryUsage().rss;

// --- /embed latency at 20 req/s, open loop
const latencies: number[] = [];
let errors = 0;
const pending: Promise<void>[] = [];
const t0 = performance.now();
for (let i = 0; performance.now() - t0 < duration * 1000; i++) {
  const due = t0 + i * 50;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const start = performance.now();
  pending.push(
    post("/embed", { input: texts[i % 32] })
      .then(async (r) => {
        await r.arrayBuffer();
        if (r.ok) latencies.push(performance.now() - start);
        else errors++;
      })
      .catch(() => void errors++),
  );
}
await Promise.all(pending);
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
console.log(`/embed at 20 req/s for ${duration} s: ${latencies.length} ok, ${errors} errors, p50 ${fmt(pct(50), 2)} ms, p99 ${fmt(pct(99), 2)} ms, max ${fmt(latencies.at(-1)!, 2)} ms\n`);

const mib = (b: number) => `${Math.round(b / 1024 ** 2)} MiB`;
console.log(`memory (RSS): start ${mib(rssStart)}, models loaded ${mib(rssLoaded)}, after generation runs ${mib(rssAfterGen)}, peak ${mib(peakRss)}, end ${mib(process.memoryUsage().rss)}`);
clearInterval(sampler);
await node.close();
await rm(home, { recursive: true, force: true });
