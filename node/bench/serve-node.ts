/**
 * A node serving one GGUF, in its own process, for bench/concurrency.ts: the benchmark measures
 * it from outside over HTTP as it measures llama-server, and reads its RSS from /proc.
 * Prints `{"url": ...}` on stdout once it listens; stops on SIGTERM.
 *
 *   node bench/serve-node.ts --model file.gguf --threads 2 --sequences 8 --context 1024 [--gpu-layers N]
 *
 * `--gpu-layers N` starts the node with the governed parameters `limits.maxGpuLayers: N`: it loads
 * the model as any node under that vote (as many layers as its GPU holds, at most N).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startNode } from "../src/app/index.ts";
import { loadConfig } from "../src/config.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    threads: { type: "string", default: "2" },
    sequences: { type: "string", default: "8" },
    context: { type: "string", default: "1024" },
    "gpu-layers": { type: "string" },
    // Logs where decode batches' time goes (bench/decode-timing.ts) on stderr after each burst of load.
    "decode-timing": { type: "boolean", default: false },
  },
});
if (!values.model) throw new Error("--model file.gguf is required");
const gpuLayers = values["gpu-layers"] === undefined ? undefined : Number(values["gpu-layers"]);
if (gpuLayers !== undefined && (!Number.isInteger(gpuLayers) || gpuLayers < 0)) throw new Error("--gpu-layers must be an integer >= 0");
if (values["decode-timing"]) {
  const { LlamaModel } = await import("node-llama-cpp");
  type LlamaModel = import("node-llama-cpp").LlamaModel;
  const { instrumentDecodes } = await import("./decode-timing.ts");
  const createContext = LlamaModel.prototype.createContext;
  LlamaModel.prototype.createContext = async function (this: LlamaModel, ...args: Parameters<typeof createContext>) {
    const context = await createContext.apply(this, args);
    const timing = instrumentDecodes(context);
    const report = () => {
      if (timing.decodes === 0) return;
      console.error(`decode timing: ${timing.summary()}`);
      timing.reset();
    };
    setInterval(() => !timing.decoding && performance.now() - timing.lastEnd > 300 && report(), 100).unref();
    process.prependListener("SIGTERM", report);
    return context;
  };
}
const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-node-"));
const config = loadConfig({ ...process.env, NS_LLM_HOME: home, NS_LLM_PORT: "0", NS_LLM_HOST: "127.0.0.1", NS_LLM_THREADS: values.threads });
// As a node serves (answers recorded in the audit log), without a chain or the demo models.
const node = await startNode(config, {
  chain: false,
  // The offload as a vote would set it (the governed cap), so the node loads as it would in service.
  parameters: gpuLayers === undefined ? {} : { limits: { maxGpuLayers: gpuLayers } },
  sequences: Number(values.sequences),
  contextSize: Number(values.context),
  scheduler: { maxQueue: 256, maxOutputTokens: 4096 },
  generation: { modelPath: values.model },
});
console.log(JSON.stringify({ url: node.url }));
process.once("SIGTERM", () => {
  void node.close().finally(() => rm(home, { recursive: true, force: true }).finally(() => process.exit(0)));
});
