/**
 * `ns-llm models make-demo`: the generated demo models and the manifests that name them, so the
 * demo and the tests adopt, fetch, verify and load them exactly like real models.
 *
 *   <out>/generation/demo-llama.gguf   <out>/generation.json
 *   <out>/embedding/model.onnx         <out>/embedding.json
 *   <out>/embedding/vocab.txt          <out>/parameters.json
 *
 * Every byte is a pure function of the code: two runs write identical files, so identical digests.
 * The manifests list no sources (`sources: []`); the genesis step adds ipfs:// sources, and until
 * then a node needs the blobs in its store.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  encodeManifest,
  manifestDigest,
  parseManifest,
  type EmbeddingManifest,
  type GenerationManifest,
  type Manifest,
  type ManifestArtifact,
  type ParametersManifest,
} from "../manifest/index.ts";
import { DEMO_BERT_HIDDEN, DEMO_BERT_MAX_LENGTH, writeDemoBert } from "./demo-bert.ts";
import { demoLlamaName, demoLlamaShape, writeDemoLlama } from "./demo-llama.ts";
import { writeFileAtomic } from "./write-atomic.ts";

export const demoBertName = "ns-llm-demo-bert";
export const demoParametersName = "ns-llm-demo-parameters";

/** The governed defaults the demo starts with. */
export const demoParameters = {
  temperature: 0.7,
  topP: 0.9,
  topK: 40,
  repeatPenalty: 1.1,
  maxTokens: 256,
  systemPrompt: "You are a helpful assistant running on an NS-LLM node.",
  cacheSimilarity: 0.92,
  validation: { maxToxicity: 0.5, minCoherence: 0.2, denyPatterns: [] },
  audit: { batchSize: 64, batchSeconds: 60 },
} satisfies ParametersManifest["parameters"];

export type DemoManifest<M extends Manifest = Manifest> = {
  /** Where the manifest file is. */
  file: string;
  /** 0x sha256 of the file's bytes: what a proposal adopts. */
  digest: `0x${string}`;
  manifest: M;
};

export type MakeDemoModelsReturnType = {
  dir: string;
  /** The model files, by their path under `dir`, with their digests and sizes. */
  files: Array<{ path: string; sha256: string; size: number }>;
  manifests: {
    generation: DemoManifest<GenerationManifest>;
    embedding: DemoManifest<EmbeddingManifest>;
    parameters: DemoManifest<ParametersManifest>;
  };
};

/** Writes the demo models and their manifests into `outDir` (created if needed). */
export async function makeDemoModels(outDir: string): Promise<MakeDemoModelsReturnType> {
  const dir = path.resolve(outDir);
  const llama = path.join(dir, "generation", "demo-llama.gguf");
  await writeDemoLlama(llama);
  const bert = await writeDemoBert(path.join(dir, "embedding"));

  const generation = await writeManifest<GenerationManifest>(path.join(dir, "generation.json"), {
    schema: "ns-llm.manifest/v1",
    role: "generation",
    name: demoLlamaName,
    description:
      "The generated demo model: a tiny llama-architecture GGUF with random (seeded) weights and the TinyLlama chat template. It writes words, not sense; it exists so the whole path runs offline.",
    model: {
      format: "gguf",
      contextLength: demoLlamaShape.contextLength,
      license: "MIT",
      artifacts: [await artifact(llama, "demo-llama.gguf")],
    },
  });
  const embedding = await writeManifest<EmbeddingManifest>(path.join(dir, "embedding.json"), {
    schema: "ns-llm.manifest/v1",
    role: "embedding",
    name: demoBertName,
    description:
      "The generated demo encoder: a tiny BERT-like ONNX model with all-MiniLM-L6-v2's inputs and output and random (seeded) weights; stable, well-formed vectors without meaning.",
    model: {
      format: "onnx",
      dimensions: DEMO_BERT_HIDDEN,
      contextLength: DEMO_BERT_MAX_LENGTH,
      license: "MIT",
      artifacts: [await artifact(bert.model, "model.onnx"), await artifact(bert.vocab, "vocab.txt")],
    },
  });
  const parameters = await writeManifest<ParametersManifest>(path.join(dir, "parameters.json"), {
    schema: "ns-llm.manifest/v1",
    role: "parameters",
    name: demoParametersName,
    description: "The demo's starting parameters: sampling, the semantic cache threshold, output checks and audit batching.",
    parameters: demoParameters,
  });

  const files = [generation, embedding].flatMap(({ manifest, file }) =>
    manifest.model.artifacts.map((a) => ({
      path: path.relative(dir, path.join(path.dirname(file), manifest.role, a.path)).split(path.sep).join("/"),
      sha256: a.sha256,
      size: a.size,
    })),
  );
  return { dir, files, manifests: { generation, embedding, parameters } };
}

export async function artifact(file: string, name: string): Promise<ManifestArtifact> {
  const bytes = await readFile(file);
  return { path: name, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.byteLength, sources: [] };
}

/** Checks `manifest` like a node would, then writes its canonical bytes atomically. */
export async function writeManifest<M extends Manifest>(file: string, manifest: M): Promise<DemoManifest<M>> {
  parseManifest(manifest, { requireSources: false }); // local files: the genesis step names their ipfs:// sources
  const bytes = encodeManifest(manifest);
  await writeFileAtomic(file, bytes);
  return { file, digest: manifestDigest(bytes), manifest };
}
