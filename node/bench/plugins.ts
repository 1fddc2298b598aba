/**
 * What running a plugin in its worker costs per call (issue 21), against calling the same hook
 * in-process, with the PII redactor's `answer` hook on a typical unit (one sentence, ~100 chars):
 *
 *   node bench/plugins.ts [--calls N]
 *
 * 1. in-process: the plugin's function called directly (what isolation saves nothing on);
 * 2. worker, one call at a time: postMessage there and back (structured clone of input and output);
 * 3. worker, 16 calls in flight: the throughput when answers overlap;
 * 4. the whole plugin layer per unit (createPlugins().beginAnswer().check: metrics applied, verdict kept);
 * 5. a restart: a fresh worker started and importing the plugin (what a timed-out call costs the next one).
 * Medians of per-call times over batches of 100 calls.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { Registry } from "prom-client";
import { createPlugins, PluginWorker } from "../src/plugins/index.ts";

const { values } = parseArgs({ options: { calls: { type: "string", default: "5000" } } });
const calls = Number(values.calls);
const PII = path.resolve(import.meta.dirname, "..", "..", "plugins", "pii-redactor");
const unit = "Write to alice.smith@example.com or call +1 (555) 123-4567, the support desk answers within a day. ";
const input = { prompt: "how do I contact support", unit, text: unit, final: false };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Per-call µs: median over batches of 100 calls of `fn` (awaited one after another). */
async function perCall(fn: () => unknown): Promise<number> {
  const batches: number[] = [];
  for (let done = 0; done < calls; done += 100) {
    const t = performance.now();
    for (let i = 0; i < 100; i++) await fn();
    batches.push(((performance.now() - t) / 100) * 1000);
  }
  return median(batches);
}

const mod = (await import(path.join(PII, "index.js"))) as { answer: (i: typeof input) => unknown };
const inProcess = await perCall(() => mod.answer(input));

const worker = new PluginWorker({ entry: path.join(PII, "index.js"), network: false, budget: { callMs: 1000, memoryMb: 32, startMs: 10_000 } });
await worker.start();
for (let i = 0; i < 500; i++) await worker.call("answer", input); // warm-up
const oneAtATime = await perCall(() => worker.call("answer", input));
const t16 = performance.now();
const inFlight = 16;
let sent = 0;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (sent++ < calls) await worker.call("answer", input);
  }),
);
const concurrent = ((performance.now() - t16) / calls) * 1000;
await worker.close();

const plugins = await createPlugins({ specs: [PII], from: PII, budget: { callMs: 1000, memoryMb: 32 }, governed: () => ({}), registry: new Registry() });
const layer = await perCall(() => plugins.beginAnswer(input.prompt).check(unit, unit, false));
await plugins.close();

const restarts: number[] = [];
for (let i = 0; i < 10; i++) {
  const w = new PluginWorker({ entry: path.join(PII, "index.js"), network: false, budget: { callMs: 1000, memoryMb: 32, startMs: 10_000 } });
  const t = performance.now();
  await w.call("answer", input);
  restarts.push(performance.now() - t);
  await w.close();
}

console.log(`plugin hook (PII redactor, ${unit.length}-char unit), ${calls} calls each, median per call:`);
console.log(`  in-process call                 ${inProcess.toFixed(1)} µs`);
console.log(`  worker, one call at a time      ${oneAtATime.toFixed(1)} µs   (isolation adds ${(oneAtATime - inProcess).toFixed(1)} µs)`);
console.log(`  worker, ${inFlight} calls in flight       ${concurrent.toFixed(1)} µs per call (throughput ${Math.round(1e6 / concurrent)} calls/s)`);
console.log(`  plugin layer per unit (check)   ${layer.toFixed(1)} µs`);
console.log(`  fresh worker to first answer    ${median(restarts).toFixed(1)} ms (a restart after a timeout or OOM)`);
