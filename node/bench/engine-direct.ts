/**
 * The engine's own ceiling: node-llama-cpp driven directly, one context with N sequences, each
 * generating greedily through `sequence.evaluate` (no LlamaCompletion, no HTTP, minimal JS), and
 * where a batch's time goes: native decode (timed around the binding's decodeBatch) against the
 * wall time between decodes.
 *
 *   node bench/engine-direct.ts --model file.gguf [--threads 2] [--streams 1,4,8] [--tokens 32] [--sequences 8]
 */
import { parseArgs } from "node:util";
import { getLlama, type Token } from "node-llama-cpp";
import { FullBatches } from "../src/inference/generation/full-batches.ts";
import { instrumentDecodes } from "./decode-timing.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    threads: { type: "string", default: "2" },
    streams: { type: "string", default: "1,4,8" },
    tokens: { type: "string", default: "32" },
    sequences: { type: "string", default: "8" },
    context: { type: "string", default: "1024" },
    rounds: { type: "string", default: "2" },
    // node-llama-cpp's default is "auto" (on, on the CPU); llama-server's -fa off is "off".
    flash: { type: "string", default: "auto" },
    // Batches in node-llama-cpp's queue order (as before the fix) instead of by sequence id.
    unordered: { type: "boolean", default: false },
  },
});
if (!values.model) throw new Error("--model file.gguf is required");
const llama = await getLlama({ build: "never", gpu: false });
const model = await llama.loadModel({ modelPath: values.model });
const sequences = Number(values.sequences);
// The project's strategy (src/inference/generation/full-batches.ts), each stream marked as
// generating from its first token on (as the engine marks requests), ordered by sequence id unless --unordered.
const batches = new FullBatches();
const context = await model.createContext({
  sequences,
  contextSize: Number(values.context),
  threads: Number(values.threads),
  flashAttention: values.flash === "on" ? true : values.flash === "off" ? false : "auto",
  batching: { itemPrioritizationStrategy: batches.strategy },
});
if (!values.unordered) batches.readSequencesFrom(() => (context as unknown as { _queuedDecodes?: Array<{ sequenceId: number; tokens: unknown }> })._queuedDecodes);
const timing = instrumentDecodes(context);
const seqs = Array.from({ length: sequences }, () => context.getSequence());
const story = "Once upon a time there was a little girl who lived in a small house near the river. Every morning she walked";
const maxTokens = Number(values.tokens);
let n = 0;

async function one(i: number): Promise<number> {
  const sequence = seqs[i]!;
  await sequence.clearHistory();
  const tokens = model.tokenize(`${n++}. ${story}`);
  let count = 0;
  const request = {};
  try {
    for await (const token of sequence.evaluate([model.tokens.bos!, ...tokens] as Token[], { temperature: 0 })) {
      void token;
      batches.generating(request); // from its first token on, batches wait for its next one (as the engine does)
      if (++count >= maxTokens) break;
    }
  } finally {
    batches.stopped(request);
  }
  return count;
}

await one(0);
for (let round = 0; round < Number(values.rounds); round++) {
  for (const streams of values.streams.split(",").map(Number)) {
    timing.reset();
    const started = performance.now();
    const counts = await Promise.all(Array.from({ length: streams }, (_, i) => one(i)));
    const ms = performance.now() - started;
    const total = counts.reduce((a, b) => a + b, 0);
    console.log(`round ${round + 1}, ${streams} streams: ${((total / ms) * 1000).toFixed(1)} tok/s; ${timing.summary()}`);
  }
}
await context.dispose();
await model.dispose();
