/**
 * Writes the demo toxicity classifier as ONNX: a bag-of-words sequence classifier over the demo
 * encoder's WordPiece vocabulary, with a real classifier's interface (input_ids, attention_mask ->
 * logits [batch, 1]), so tests and the demo adopt and run it through the same governance, store,
 * tokenizer and onnxruntime path as a real moderation model.
 *
 *   logit = bias + sum over real tokens of weight[token]
 *
 * Every token's weight is small and seeded (uniform in [-0.4, 0.4]); the demo's "toxic" words
 * (`DEMO_TOXIC_WORDS`, ordinary words of the small demo vocabulary standing in for abuse) weigh +8,
 * so a sentence with one scores about sigmoid(5) = 0.99 and one without stays near sigmoid(-3) = 0.05.
 * Deterministic to the byte, like the demo encoder.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import onnxProto from "onnx-proto";
import { demoVocab } from "./demo-vocab.ts";
import { mulberry32 } from "./mulberry32.ts";

const { onnx } = onnxProto;

export const demoToxicityName = "ns-llm-demo-toxicity";
/** Words of the demo vocabulary the demo classifier treats as toxic. */
export const DEMO_TOXIC_WORDS = ["war", "fire", "cut"] as const;
const TOXIC_WEIGHT = 8;
const BIAS = -3;
const SEED = 0x746f7869; // "toxi"

/** Writes `model.onnx` and `vocab.txt` into `dir`; returns their paths. */
export async function writeDemoToxicity(dir: string): Promise<{ model: string; vocab: string }> {
  await mkdir(dir, { recursive: true });
  const model = path.join(dir, "model.onnx");
  const vocab = path.join(dir, "vocab.txt");
  await writeFile(model, demoToxicityBytes());
  await writeFile(vocab, demoVocab.join("\n") + "\n");
  return { model, vocab };
}

/** The ONNX file's bytes (the same on every call, every machine). */
export function demoToxicityBytes(): Uint8Array {
  const random = mulberry32(SEED);
  const toxic = new Set<string>(DEMO_TOXIC_WORDS);
  const weights = new Float32Array(demoVocab.length);
  demoVocab.forEach((token, i) => {
    const w = (random() * 2 - 1) * 0.4;
    weights[i] = token.startsWith("[") ? 0 : toxic.has(token) ? TOXIC_WEIGHT : w;
  });
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const INT64 = onnx.TensorProto.DataType.INT64;
  const floats = (name: string, dims: number[], values: ArrayLike<number>) => {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    return { name, dims, dataType: FLOAT, rawData: bytes };
  };
  const axes = new Uint8Array(8);
  new DataView(axes.buffer).setBigInt64(0, 1n, true);
  const tokens = (name: string) => ({
    name,
    type: { tensorType: { elemType: INT64, shape: { dim: [{ dimParam: "batch_size" }, { dimParam: "sequence_length" }] } } },
  });
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "ns-llm",
    producerVersion: "1",
    docString: "NS-LLM demo toxicity classifier: bag of words over the demo vocabulary; logits [batch, 1].",
    graph: {
      name: "ns_llm_demo_toxicity",
      initializer: [floats("weights", [demoVocab.length], weights), floats("bias", [1], [BIAS]), { name: "axis_1", dims: [1], dataType: INT64, rawData: axes }],
      node: [
        { opType: "Gather", input: ["weights", "input_ids"], output: ["token_weights"], name: "gather" },
        { opType: "Cast", input: ["attention_mask"], output: ["mask"], name: "cast", attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] },
        { opType: "Mul", input: ["token_weights", "mask"], output: ["masked"], name: "mul" },
        { opType: "ReduceSum", input: ["masked", "axis_1"], output: ["summed"], name: "sum", attribute: [{ name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
        { opType: "Add", input: ["summed", "bias"], output: ["logits"], name: "add" },
      ],
      input: [tokens("input_ids"), tokens("attention_mask")],
      output: [{ name: "logits", type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: "batch_size" }, { dimValue: 1 }] } } } }],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}
