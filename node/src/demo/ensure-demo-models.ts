/**
 * The demo models of `startNode({ demo: true })` (tests, benchmarks, a node without IPFS): written
 * by `makeDemoModels` into `<NS_LLM_HOME>/demo` on first use, with their manifests, and reused
 * afterwards. (`ns-llm serve --demo` goes through the governance genesis, which also publishes
 * them to IPFS so they are named by CID.)
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { demoBertName, makeDemoModels } from "./make-demo.ts";
import { demoLlamaName } from "./demo-llama.ts";

export type DemoModels = {
  generation: { modelPath: string; name: string };
  embedding: { model: string; tokenizer: string; name: string };
};

const exists = (p: string) => access(p).then(() => true, () => false);

/** Writes the demo models into `dir` unless they are there already; returns their paths. */
export async function ensureDemoModels(dir: string): Promise<DemoModels> {
  const models: DemoModels = {
    generation: { modelPath: path.join(dir, "generation", "demo-llama.gguf"), name: demoLlamaName },
    embedding: { model: path.join(dir, "embedding", "model.onnx"), tokenizer: path.join(dir, "embedding", "vocab.txt"), name: demoBertName },
  };
  const files = [models.generation.modelPath, models.embedding.model, models.embedding.tokenizer, path.join(dir, "generation.json")];
  if (!(await Promise.all(files.map(exists))).every(Boolean)) await makeDemoModels(dir);
  return models;
}
