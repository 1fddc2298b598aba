/**
 * Embedding throughput: the engine (tokenize, run, mean-pool, normalise) against a bare
 * onnxruntime-node session running the same model on pre-tokenized input, at batch 1 and 32,
 * same thread count. The ratio is what the engine's own work costs. Also: tokenizer speed and
 * peak RSS.
 *
 *   node bench/embedding.ts [--threads N] [--seconds S] [--model model.onnx --tokenizer vocab.txt]
 *
 * Without --model it writes and measures the generated demo model. Rounds alternate engine and
 * bare session so that a neighbour's load on a shared machine hits both alike; best round wins.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { writeDemoBert } from "../src/demo/demo-bert.ts";
import { createEmbeddingEngine } from "../src/inference/embedding/index.ts";
import type { EncodedBatch } from "../src/inference/embedding/index.ts";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "1" },
    seconds: { type: "string", default: "1.5" },
    rounds: { type: "string", default: "3" },
    model: { type: "string" },
    tokenizer: { type: "string" },
  },
});
const threads = Number(values.threads);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const rssStart = process.memoryUsage().rss;
const tmp = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-embedding-"));
try {
  const files = values.model
    ? { model: values.model, vocab: values.tokenizer ?? "" }
    : await writeDemoBert(tmp);
  const engine = await createEmbeddingEngine({ model: files.model, tokenizer: files.vocab || undefined, threads });
  const session = await InferenceSession.create(files.model, {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const rssLoaded = process.memoryUsage().rss;

  // Sentences of 6 to 25 words (about 8 to 30 tokens), as search queries and chat turns are.
  const words = "the people of every city came down to the river in the morning to watch boats and birds while children played games near old trees by the water".split(" ");
  let seed = 1;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
  const texts = Array.from({ length: 512 }, () => Array.from({ length: 6 + (next() % 20) }, () => words[next() % words.length]).join(" ") + ".");

  const bare = async (batch: EncodedBatch) => {
    const shape = [batch.batchSize, batch.sequenceLength];
    const out = await session.run({
      input_ids: new Tensor("int64", batch.inputIds, shape),
      attention_mask: new Tensor("int64", batch.attentionMask, shape),
      token_type_ids: new Tensor("int64", batch.tokenTypeIds, shape),
    });
    void (out.last_hidden_state!.data as Float32Array)[0];
  };

  /** Texts per second of `step` (which embeds `size` texts) over `seconds`. */
  const measure = async (size: number, step: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 3; i++) await step(i); // warm-up
    let done = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) await step(done++);
    return (done * size) / ((performance.now() - start) / 1000);
  };

  console.log(`model ${files.model} (${engine.info.dimensions} dims), threads ${threads}, ${os.availableParallelism()} cores, node ${process.version}`);
  for (const size of [1, 32]) {
    const batches = Array.from({ length: texts.length / size }, (_, i) => texts.slice(i * size, (i + 1) * size));
    // The bare session gets each batch already tokenized and padded (the engine sorts by length first; so do we).
    const preTokenized = batches.map((b) => engine.tokenizer.pad(b.map((t) => engine.tokenizer.encode(t)).sort((x, y) => x.length - y.length)));
    let bestEngine = 0;
    let bestBare = 0;
    for (let r = 0; r < rounds; r++) {
      bestEngine = Math.max(bestEngine, await measure(size, (i) => engine.embed(batches[i % batches.length]!)));
      bestBare = Math.max(bestBare, await measure(size, (i) => bare(preTokenized[i % batches.length]!)));
    }
    const tokens = preTokenized.reduce((s, b) => s + b.lengths.reduce((a, c) => a + c, 0), 0) / texts.length;
    console.log(
      `batch ${String(size).padStart(2)}: engine ${bestEngine.toFixed(0).padStart(6)} embeddings/s, bare session ${bestBare.toFixed(0).padStart(6)} embeddings/s, engine/bare ${(bestEngine / bestBare).toFixed(2)} (${tokens.toFixed(1)} tokens a text)`,
    );
  }

  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 500) engine.tokenizer.encode(texts[n++ % texts.length]!);
  console.log(`tokenizer alone: ${((n * 1000) / (performance.now() - start)).toFixed(0)} texts/s`);

  await engine.dispose();
  await session.release();
  console.log(`rss: ${mb(rssStart)} at start, ${mb(rssLoaded)} with engine and bare session loaded, peak ${mb(process.resourceUsage().maxRSS * 1024)}`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
