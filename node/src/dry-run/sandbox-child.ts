/**
 * The dry-run sandbox: a child process of the node that loads a proposed model with its own
 * llama.cpp / ONNX runtime and runs the evaluation suite on it, then exits. It shares nothing with
 * the serving engines (another process, one thread, lowest priority), so a model that crashes,
 * hangs or eats memory takes down only this process; the parent kills it past its memory budget
 * or its time limit. Receives one SandboxJob, sends `rss` samples and one `result`.
 */
import type { SandboxAnswer, SandboxJob, SandboxMessage, SandboxResult } from "./sandbox-protocol.ts";

const send = (message: SandboxMessage) => process.send?.(message);
let peakRss = process.memoryUsage.rss();
const sample = () => {
  const rss = process.memoryUsage.rss();
  peakRss = Math.max(peakRss, rss);
  send({ type: "rss", bytes: rss });
};
const sampler = setInterval(sample, 100);
// The node went away (killed, crashed): no one is waiting for this evaluation.
process.once("disconnect", () => process.exit(0));

process.once("message", (job: SandboxJob) => {
  run(job)
    .catch((error): SandboxResult => ({ ok: false, stage: "evaluate", message: messageOf(error), rssBytes: peakRss }))
    .then((result) => {
      sample();
      clearInterval(sampler);
      send({ type: "result", result: { ...result, rssBytes: peakRss } });
      // Exit at once: disposing native engines is not needed in a process about to end.
      setTimeout(() => process.exit(0), 50).unref();
    });
});

async function run(job: SandboxJob): Promise<SandboxResult> {
  const started = performance.now();
  if (job.role === "generation") {
    const { createGenerationEngine } = await import("../inference/generation/index.ts");
    let engine;
    try {
      engine = await createGenerationEngine({ modelPath: job.modelPath, name: job.name, threads: job.threads, sequences: 1, contextSize: job.contextSize, ...(job.gpuLayerCap !== undefined ? { gpuLayerCap: job.gpuLayerCap } : {}) });
    } catch (error) {
      return { ok: false, stage: "load", message: messageOf(error), rssBytes: peakRss };
    }
    const loadMs = performance.now() - started;
    sample();
    const answers: SandboxAnswer[] = [];
    for (const { prompt, json } of job.prompts) {
      const r = await engine.complete({ prompt, maxTokens: job.maxTokens, temperature: 0, seed: 1, ...(json ? { format: { type: "json_object" as const } } : {}) });
      const ok = r.finishReason !== "abort" && r.tokens > 0 && r.text.trim() !== "";
      answers.push({ prompt, text: r.text, tokens: r.tokens, ms: round(r.ms), firstTokenMs: r.firstTokenMs === null ? null : round(r.firstTokenMs), ok });
      sample();
    }
    return { ok: true, loadMs: round(loadMs), answers, rssBytes: peakRss };
  }
  const { createEmbeddingEngine } = await import("../inference/embedding/index.ts");
  let engine;
  try {
    engine = await createEmbeddingEngine({ model: job.model, ...(job.tokenizer ? { tokenizer: job.tokenizer } : {}), name: job.name, threads: 1 });
  } catch (error) {
    return { ok: false, stage: "load", message: messageOf(error), rssBytes: peakRss };
  }
  const loadMs = performance.now() - started;
  const t0 = performance.now();
  const vectors = await engine.embed(job.prompts.map((p) => p.prompt));
  const embedMs = performance.now() - t0;
  const answers = job.prompts.map(({ prompt }, i): SandboxAnswer => {
    const v = vectors[i]!;
    let norm = 0;
    for (const x of v) norm += x * x;
    const unit = Number.isFinite(norm) && Math.abs(Math.sqrt(norm) - 1) < 1e-3;
    const ok = v.length === job.dimensions && unit;
    return { prompt, text: `[${v.length} dimensions, norm ${Math.sqrt(norm).toFixed(4)}]`, tokens: 0, ms: round(embedMs / job.prompts.length), firstTokenMs: null, ok, dimensions: v.length, unit };
  });
  return { ok: true, loadMs: round(loadMs), answers, dimensions: vectors[0]?.length ?? 0, embedMs: round(embedMs), rssBytes: peakRss };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 500);
}
