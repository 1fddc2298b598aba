/**
 * The demo models of `ns-llm serve --demo`: generated into NS_LLM_HOME/demo on first use (the
 * project writes them itself, deterministically), reused afterwards.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { demoLlamaName, writeDemoLlama } from "./inference/demo/index.ts";
import { writeDemoBert } from "./inference/demo/demo-bert.ts";

export type DemoModels = {
  generation: { modelPath: string; name: string };
  embedding: { model: string; tokenizer: string; name: string };
};

const exists = (p: string) => access(p).then(() => true, () => false);

/** Writes the demo models into `dir` unless they are there already; returns their paths. */
export async function ensureDemoModels(dir: string): Promise<DemoModels> {
  const gguf = path.join(dir, "generation", "model.gguf");
  const bertDir = path.join(dir, "embedding");
  const onnx = path.join(bertDir, "model.onnx");
  const vocab = path.join(bertDir, "vocab.txt");
  if (!(await exists(gguf))) await writeDemoLlama(gguf);
  if (!(await exists(onnx)) || !(await exists(vocab))) await writeDemoBert(bertDir);
  return {
    generation: { modelPath: gguf, name: demoLlamaName },
    embedding: { model: onnx, tokenizer: vocab, name: "ns-llm-demo-bert" },
  };
}
