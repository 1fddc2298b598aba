/**
 * Writes the demo image encoder (the `vision` role) as ONNX: a CLIP-style image tower by its
 * inputs and output (`pixel_values` [batch, 3, size, size] to `image_embeds` [batch, dimensions]),
 * whose geometry is fixed by hand instead of learnt, so a test can show what CLIP promises: an
 * image lands near its caption's text vector.
 *
 * What it computes: the image's mean colour (per channel, in CLIP's normalised space), a softmax
 * over its closeness to the eight corners of the RGB cube (black, blue, green, cyan, red, magenta,
 * yellow, white), and that mix of the eight colour words' text vectors under the demo text
 * encoder. So a red picture's vector is (nearly) the demo encoder's vector of "red", a grey one a
 * blend. That is all it knows: colours, not objects, shapes or scenes; the words' vectors are
 * those of a text encoder with random weights, meaningful only as positions that the image tower
 * and the text tower agree on. A real CLIP learns this agreement from 400M image-caption pairs.
 *
 * The text vectors are read from the text encoder it pairs with (an `embed` function: the demo
 * BERT) and rounded to multiples of 2^-12, so the file is the same on every machine even if an
 * onnxruntime build differs in a last bit.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import onnxProto from "onnx-proto";
import { CLIP_MEAN, CLIP_STD } from "../inference/vision/index.ts";

const { onnx } = onnxProto;

export const demoClipName = "ns-llm-demo-clip";
/** The demo's image side: small, since it only looks at the mean colour. */
export const DEMO_CLIP_SIZE = 64;
/** The colour words, in the order of the RGB cube's corners (r, g, b bits 4, 2, 1). */
export const DEMO_CLIP_COLOURS = ["black", "blue", "green", "cyan", "red", "magenta", "yellow", "white"] as const;
/** How sharply the softmax picks the nearest corner (per unit of squared normalised distance). */
const SHARPNESS = 2;

export type DemoClipColour = (typeof DEMO_CLIP_COLOURS)[number];

/** The RGB (0..255) of a colour word's corner. */
export function demoClipRgb(colour: DemoClipColour): [number, number, number] {
  const i = DEMO_CLIP_COLOURS.indexOf(colour);
  return [i & 4 ? 255 : 0, i & 2 ? 255 : 0, i & 1 ? 255 : 0];
}

/** Writes `model.onnx` into `dir`; `embed` is the paired text encoder (its vectors become the table). */
export async function writeDemoClip(dir: string, embed: (texts: string[]) => Promise<Float32Array[]>): Promise<{ model: string; dimensions: number }> {
  const bytes = demoClipBytes(await embed([...DEMO_CLIP_COLOURS]));
  await mkdir(dir, { recursive: true });
  const model = path.join(dir, "model.onnx");
  await writeFile(model, bytes);
  return { model, dimensions: bytes.dimensions };
}

/** The ONNX file's bytes for these eight text vectors (one per colour word, in DEMO_CLIP_COLOURS order). */
export function demoClipBytes(wordVectors: readonly Float32Array[]): Uint8Array & { dimensions: number } {
  if (wordVectors.length !== DEMO_CLIP_COLOURS.length) throw new Error(`the demo image encoder needs ${DEMO_CLIP_COLOURS.length} word vectors`);
  const D = wordVectors[0]!.length;
  const K = DEMO_CLIP_COLOURS.length;
  const table = new Float32Array(K * D);
  wordVectors.forEach((v, k) => v.forEach((x, d) => (table[k * D + d] = Math.round(x * 4096) / 4096)));
  // Corners in normalised space: p = (rgb/255 - mean) / std. Scores: s * (2 m.p - |p|^2), which
  // is -s * |m - p|^2 up to |m|^2, the same for every corner (the softmax ignores it).
  const twoP = new Float32Array(3 * K); // [3, K]
  const bias = new Float32Array(K);
  DEMO_CLIP_COLOURS.forEach((colour, k) => {
    const rgb = demoClipRgb(colour);
    let norm = 0;
    for (let c = 0; c < 3; c++) {
      const p = (rgb[c]! / 255 - CLIP_MEAN[c]!) / CLIP_STD[c]!;
      twoP[c * K + k] = 2 * SHARPNESS * p;
      norm += p * p;
    }
    bias[k] = -SHARPNESS * norm;
  });

  const initializers: onnxProto.onnx.ITensorProto[] = [floats("corners_2p", [3, K], twoP), floats("corners_bias", [K], bias), floats("word_vectors", [K, D], table)];
  const node = (opType: string, input: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []) => ({ opType, input, output: [output], name: output, attribute });
  const nodes = [
    node("GlobalAveragePool", ["pixel_values"], "mean_colour_4d"),
    node("Flatten", ["mean_colour_4d"], "mean_colour", [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
    node("Gemm", ["mean_colour", "corners_2p", "corners_bias"], "closeness"),
    node("Softmax", ["closeness"], "colour_weights", [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
    node("MatMul", ["colour_weights", "word_vectors"], "image_embeds"),
  ];
  const info = (name: string, dims: Array<string | number>) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } },
  });
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "ns-llm",
    producerVersion: "1",
    docString: "NS-LLM demo image encoder: mean colour -> softmax over the RGB cube's corners -> the mix of the colour words' text vectors. Fixed geometry, no learning.",
    graph: {
      name: "ns_llm_demo_clip",
      node: nodes,
      initializer: initializers,
      input: [info("pixel_values", ["batch_size", 3, DEMO_CLIP_SIZE, DEMO_CLIP_SIZE])],
      output: [info("image_embeds", ["batch_size", D])],
    },
  };
  return Object.assign(onnx.ModelProto.encode(model).finish(), { dimensions: D });
}

function floats(name: string, dims: number[], values: Float32Array): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes };
}
