/**
 * `ns-llm models make-demo --vision`: the demo image encoder (demo-clip.ts) beside the demo models,
 * with its `vision` manifest, paired with the demo text encoder whose vectors it is written from:
 *
 *   <out>/vision/model.onnx   <out>/vision.json
 *
 * Not part of the dev genesis (it needs the text encoder run once to be written); a vote adopts it
 * like any model. Its bytes are the same on every run (the text vectors are rounded, demo-clip.ts).
 */
import path from "node:path";
import { createEmbeddingEngine } from "../inference/embedding/index.ts";
import type { VisionManifest } from "../manifest/index.ts";
import { demoClipName, DEMO_CLIP_SIZE, writeDemoClip } from "./demo-clip.ts";
import { artifact, demoBertName, writeManifest, type DemoManifest } from "./make-demo.ts";

/** Writes the demo image encoder and its manifest into `dir`, where makeDemoModels wrote the demo models. */
export async function makeDemoVision(dir: string): Promise<{ file: { path: string; sha256: string; size: number }; manifest: DemoManifest<VisionManifest> }> {
  const text = await createEmbeddingEngine({ model: path.join(dir, "embedding", "model.onnx"), name: demoBertName });
  let written: { model: string; dimensions: number };
  try {
    written = await writeDemoClip(path.join(dir, "vision"), (texts) => text.embed(texts));
  } finally {
    await text.dispose();
  }
  const model = await artifact(written.model, "model.onnx");
  const manifest = await writeManifest<VisionManifest>(path.join(dir, "vision.json"), {
    schema: "ns-llm.manifest/v1",
    role: "vision",
    name: demoClipName,
    description:
      "The generated demo image encoder: an image's mean colour mapped onto the demo text encoder's vectors of eight colour words (fixed geometry, not learnt). It shows the vision path end to end; it knows colours, nothing else.",
    model: { format: "onnx", dimensions: written.dimensions, image: { size: DEMO_CLIP_SIZE }, pairedEmbedding: demoBertName, license: "MIT", artifacts: [model] },
  });
  return { file: { path: "vision/model.onnx", sha256: model.sha256, size: model.size }, manifest };
}
