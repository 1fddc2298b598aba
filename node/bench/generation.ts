/**
 * Generation speed: the engine (sequence pool, abortable prefill, stop filter, streaming)
 * against bare node-llama-cpp (one LlamaCompletion on one sequence) on the same model, same
 * threads, same prompt tokens, same maxTokens, greedy. Prints the medians of time to first
 * token and tokens/s and their ratio (engine / bare), then what 4 concurrent requests reach
 * through the engine's shared batch, and peak RSS with the demo model loaded.
 *
 *   node bench/generation.ts [--threads N] [--runs R] [--max-tokens T] [--model file.gguf]
 *
 * Without --model it measures the generated demo model, and stories260K when
 * ../shared/models holds it. Runs alternate bare and engine so that a neighbour's load on a
 * shared machine hits both alike. Every run's prompt starts differently, so neither side reuses
 * a cached prompt: time to first token includes evaluating the whole prompt.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { getLlama, LlamaCompletion } from "node-llama-cpp";
import { writeDemoLlama } from "../src/demo/demo-llama.ts";
import { createGenerationEngine, fallbackSampling } from "../src/inference/generation/index.ts";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "1" },
    runs: { type: "string", default: "7" },
    "max-tokens": { type: "string", default: "128" },
    model: { type: "string" },
  },
});
const threads = Number(values.threads);
const runs = Number(values.runs);
const maxTokens = Number(values["max-tokens"]);
const stories = path.resolve(import.meta.dirname, "../../../shared/models/stories260K.gguf");

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

/** About 60 words; run i starts with "i." so that no run finds its prompt already evaluated. */
const basePrompt =
  "Once upon a time there was a little girl who lived in a small house near the river. Every morning she walked " +
  "along the water with her old dog, and they watched the boats go by. One day she found a box under a tree, and";
const promptOf = (run: number) => `${run}. ${basePrompt}`;

type Sample = { firstTokenMs: number; tokens: number; ms: number };
const tokensPerSecond = (s: Sample) => (s.tokens / s.ms) * 1000;
/** Tokens/s after the first token: the decode speed alone. */
const decodePerSecond = (s: Sample) => ((s.tokens - 1) / (s.ms - s.firstTokenMs)) * 1000;

async function benchModel(label: string, modelPath: string): Promise<void> {
  const llama = await getLlama({ build: "never", gpu: "auto" });
  const model = await llama.loadModel({ modelPath });
  const contextSize = Math.min(model.trainContextSize, 4096);
  const context = await model.createContext({ sequences: 1, contextSize, threads });
  const sequence = context.getSequence();
  const completion = new LlamaCompletion({ contextSequence: sequence });
  const engine = await createGenerationEngine({ modelPath, threads, sequences: 1, contextSize });

  const bare = async (prompt: string): Promise<Sample> => {
    const tokens = model.tokenize(prompt); // the engine's tokenization (with the word-start space)
    const before = sequence.tokenMeter.getState().usedOutputTokens;
    const started = performance.now();
    let firstTokenMs = 0;
    await completion.generateCompletion(tokens, {
      maxTokens,
      temperature: 0,
      topK: fallbackSampling.topK, // the engine's sampler settings, so both run the same sampler chain
      topP: fallbackSampling.topP,
      repeatPenalty: false,
      onTextChunk: (text) => {
        if (text !== "" && firstTokenMs === 0) firstTokenMs = performance.now() - started;
      },
    });
    const ms = performance.now() - started;
    return { firstTokenMs, ms, tokens: sequence.tokenMeter.getState().usedOutputTokens - before };
  };
  const viaEngine = async (prompt: string): Promise<Sample> => {
    const r = await engine.complete({ prompt, maxTokens, temperature: 0, onToken: () => {} });
    return { firstTokenMs: r.firstTokenMs ?? r.ms, ms: r.ms, tokens: r.tokens };
  };

  await bare(promptOf(-1)); // warm-up, not counted
  await viaEngine(promptOf(-2));
  const samples = { bare: [] as Sample[], engine: [] as Sample[] };
  for (let i = 0; i < runs; i++) {
    samples.bare.push(await bare(promptOf(i)));
    samples.engine.push(await viaEngine(promptOf(i)));
  }
  const figures = (xs: Sample[]) => ({
    ttft: median(xs.map((s) => s.firstTokenMs)),
    tps: median(xs.map(tokensPerSecond)),
    decode: median(xs.map(decodePerSecond)),
    tokens: median(xs.map((s) => s.tokens)),
  });
  const b = figures(samples.bare);
  const e = figures(samples.engine);
  const row = (name: string, f: ReturnType<typeof figures>) =>
    `  ${name.padEnd(8)} ttft ${f.ttft.toFixed(2).padStart(8)} ms   ${f.tps.toFixed(0).padStart(6)} tok/s end to end   ${f.decode.toFixed(0).padStart(6)} tok/s decoding   (${f.tokens} tokens)`;
  console.log(`\n${label}: ${model.tokenize(promptOf(0)).length + 1} prompt tokens, maxTokens ${maxTokens}, threads ${threads}, ${runs} runs, medians`);
  console.log(row("bare", b));
  console.log(row("engine", e));
  console.log(
    `  ratio engine/bare: tokens/s ${(e.tps / b.tps).toFixed(3)}, decoding ${(e.decode / b.decode).toFixed(3)}, time to first token ${(e.ttft / b.ttft).toFixed(3)}`,
  );
  await engine.dispose();
  await context.dispose();

  // Concurrency: 4 requests at once share the batch of one context with 4 sequences.
  const shared = await createGenerationEngine({ modelPath, threads, sequences: 4, contextSize });
  await shared.complete({ prompt: promptOf(-3), maxTokens: 8, temperature: 0 });
  const aggregate: number[] = [];
  for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
    const started = performance.now();
    const results = await Promise.all([0, 1, 2, 3].map((k) => shared.complete({ prompt: promptOf(100 + i * 4 + k), maxTokens, temperature: 0 })));
    aggregate.push((results.reduce((n, r) => n + r.tokens, 0) / (performance.now() - started)) * 1000);
  }
  const together = median(aggregate);
  console.log(`  4 concurrent requests (4 sequences, one batch): ${together.toFixed(0)} tok/s in total, ${(together / e.tps).toFixed(2)}x one request`);
  await shared.dispose();
  await model.dispose();
}

const tmp = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-generation-"));
try {
  if (values.model) {
    await benchModel(path.basename(values.model), values.model);
  } else {
    const demo = path.join(tmp, "demo-llama.gguf");
    await writeDemoLlama(demo);
    // Peak RSS of a process serving the demo model (4 sequences), before anything else is loaded.
    const engine = await createGenerationEngine({ modelPath: demo, threads });
    await Promise.all([0, 1, 2, 3].map((k) => engine.complete({ prompt: promptOf(k), maxTokens: 32, temperature: 0 })));
    console.log(`peak RSS with the demo model loaded (4 sequences, after 4 concurrent requests): ${mib(process.resourceUsage().maxRSS)}`);
    await engine.dispose();

    await benchModel("demo llama (generated)", demo);
    if (existsSync(stories)) await benchModel("stories260K", stories);
    else console.log("\n(stories260K.gguf not found in ../shared/models: skipped)");
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
