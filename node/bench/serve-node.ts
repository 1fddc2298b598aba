/**
 * A node serving one GGUF, in its own process, for bench/concurrency.ts: the benchmark measures
 * it from outside over HTTP as it measures llama-server, and reads its RSS from /proc.
 * Prints `{"url": ...}` on stdout once it listens; stops on SIGTERM.
 *
 *   node bench/serve-node.ts --model file.gguf --threads 2 --sequences 8 --context 1024
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
  },
});
if (!values.model) throw new Error("--model file.gguf is required");
const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-node-"));
const config = loadConfig({ ...process.env, NS_LLM_HOME: home, NS_LLM_PORT: "0", NS_LLM_HOST: "127.0.0.1", NS_LLM_THREADS: values.threads });
// As a node serves (answers recorded in the audit log), without a chain or the demo models.
const node = await startNode(config, {
  chain: false,
  parameters: {},
  sequences: Number(values.sequences),
  contextSize: Number(values.context),
  scheduler: { maxQueue: 256, maxOutputTokens: 4096 },
  generation: { modelPath: values.model },
});
console.log(JSON.stringify({ url: node.url }));
process.once("SIGTERM", () => {
  void node.close().finally(() => rm(home, { recursive: true, force: true }).finally(() => process.exit(0)));
});
