/**
 * The image encoder of the `vision` role: a CLIP-style image tower in ONNX on onnxruntime-node's
 * CPU provider. It takes `pixel_values` [batch, 3, size, size] (decode-image.ts prepares them) and
 * gives one vector per image: `image_embeds` [batch, dimensions] when the graph has it (CLIP's
 * projected output, as in the Hugging Face ONNX exports of CLIPVisionModelWithProjection), else
 * its first output, which must be [batch, dimensions]. Vectors are L2-normalised, as the text
 * embedding engine's are, so a dot product is a cosine similarity across both.
 */
import path from "node:path";
import { normalizeRows } from "../embedding/mean-pool.ts";
import type { LoadedManifest } from "../model-slot.ts";
import { oneAtATime } from "../embedding/one-at-a-time.ts";
import { openOnnxSession } from "../onnx/session.ts";
import { preprocessImage, type ImagePreprocessing } from "./decode-image.ts";

export type ImageEncoder = {
  readonly info: { name: string; path: string; dimensions: number; size: number; pairedEmbedding: string | null };
  /** One L2-normalised vector per image (encoded bytes: PNG, JPEG, ...). */
  embed(images: readonly Uint8Array[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
};

/** What the node needs to load an adopted image encoder (the applier fills it from a `vision` manifest). */
export type VisionSpec = {
  model: string;
  name: string;
  dimensions: number;
  image: ImagePreprocessing;
  pairedEmbedding?: string;
  manifest: LoadedManifest;
};

export type CreateImageEncoderParameters = {
  model: string;
  name?: string;
  /** The manifest's `dimensions`: a model giving another size fails its smoke test. */
  dimensions: number;
  image: ImagePreprocessing;
  pairedEmbedding?: string;
};

/** Loads the model and encodes a grey probe image: a graph that cannot give `dimensions`-sized vectors fails here. */
export async function createImageEncoder(p: CreateImageEncoderParameters): Promise<ImageEncoder> {
  const modelPath = path.resolve(p.model);
  const session = await openOnnxSession(modelPath, "image encoder");
  try {
    if (!session.inputNames.includes("pixel_values") || session.inputNames.length !== 1) {
      throw new Error(`the ONNX image encoder ${modelPath} takes inputs [${session.inputNames.join(", ")}]; an image tower takes pixel_values alone`);
    }
    const output = session.outputNames.includes("image_embeds") ? "image_embeds" : session.outputNames[0]!;
    const exclusive = oneAtATime();
    const size = p.image.size;
    let disposed = false;

    const run = (pixels: Float32Array[]): Promise<Float32Array[]> =>
      exclusive(async () => {
        if (disposed) throw new Error(`the image encoder ${p.name ?? modelPath} was disposed`);
        const batch = new Float32Array(pixels.length * 3 * size * size);
        pixels.forEach((x, i) => batch.set(x, i * x.length));
        const out = (await session.run({ pixel_values: { type: "float32", data: batch, dims: [pixels.length, 3, size, size] } }, [output]))[output]!;
        if (out.type !== "float32" || out.dims.length !== 2 || out.dims[0] !== pixels.length) {
          throw new Error(`output ${output} is ${out.type} [${out.dims.join(", ")}], expected float32 [batch, dimensions]`);
        }
        return normalizeRows(out.data, pixels.length, out.dims[1]!);
      });

    const grey = new Float32Array(3 * size * size);
    const [probe] = await run([grey]).catch((error: Error) => {
      throw new Error(`the ONNX image encoder ${modelPath} failed its smoke test: ${error.message}`, { cause: error });
    });
    if (probe!.length !== p.dimensions) throw new Error(`the ONNX image encoder ${modelPath} gives ${probe!.length}-dimensional vectors; its manifest says ${p.dimensions}`);
    if (!probe!.every(Number.isFinite)) throw new Error(`the ONNX image encoder ${modelPath} gives non-finite values`);

    return {
      info: { name: p.name ?? path.basename(modelPath), path: modelPath, dimensions: p.dimensions, size, pairedEmbedding: p.pairedEmbedding ?? null },
      async embed(images) {
        if (images.length === 0) return [];
        // Decoding runs outside the session's queue (libvips has its own threads).
        const pixels = await Promise.all(images.map((bytes) => preprocessImage(bytes, p.image)));
        return run(pixels);
      },
      async dispose() {
        if (disposed) return;
        disposed = true;
        await exclusive(() => session.release());
      },
    };
  } catch (error) {
    await session.release();
    throw error;
  }
}
