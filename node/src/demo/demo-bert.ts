/**
 * Writes a tiny BERT-like sentence encoder as ONNX, with all-MiniLM-L6-v2's exact inputs and
 * output, so the demo and the tests go through the same tokenizer, session, pooling and
 * normalisation code as the real model. The weights are random (from a seeded generator): the
 * vectors are stable and well-formed, not meaningful.
 *
 * Deterministic to the byte: weights come from an integer PRNG scaled by exact arithmetic only
 * (no Math.sin/log, whose last bit may differ between engines), and protobuf encoding is a pure
 * function of the message.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import onnxProto from "onnx-proto";
import { demoVocab } from "./demo-vocab.ts";
import { mulberry32 } from "./mulberry32.ts";

const { onnx } = onnxProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type NodeProto = onnxProto.onnx.INodeProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** The demo's shape. Its position table covers `DEMO_BERT_MAX_LENGTH` tokens ([CLS] and [SEP] included). */
export const DEMO_BERT_HIDDEN = 32;
export const DEMO_BERT_MAX_LENGTH = 256;

/** An encoder's shape: what its run costs depends on these, not on its weights' values. */
export type BertShape = { hidden: number; heads: number; layers: number; intermediate: number };
const DEMO_SHAPE: BertShape = { hidden: DEMO_BERT_HIDDEN, heads: 2, layers: 2, intermediate: 64 };
/**
 * all-MiniLM-L6-v2's shape (6 layers, 384 wide, 12 heads, FFN 1536), for benchmarks that must
 * cost what the real model costs (its vocabulary is the demo's: a table lookup costs the same).
 */
export const MINILM_SHAPE: BertShape = { hidden: 384, heads: 12, layers: 6, intermediate: 1536 };
const TYPE_VOCAB = 2;
const LAYER_NORM_EPSILON = 1e-12;
const SEED = 0x6e736c6d; // "nslm"

export type WriteDemoBertReturnType = { model: string; vocab: string };

/** Writes `model.onnx` and `vocab.txt` into `dir` (created if needed); returns their paths. `shape`: the demo's unless given. */
export async function writeDemoBert(dir: string, shape: BertShape = DEMO_SHAPE): Promise<WriteDemoBertReturnType> {
  await mkdir(dir, { recursive: true });
  const model = path.join(dir, "model.onnx");
  const vocab = path.join(dir, "vocab.txt");
  await writeFile(model, demoBertBytes(shape));
  await writeFile(vocab, demoVocab.join("\n") + "\n");
  return { model, vocab };
}

/** The ONNX file's bytes (the same on every call, every machine). */
export function demoBertBytes(shape: BertShape = DEMO_SHAPE): Uint8Array {
  return onnx.ModelProto.encode(buildModel(shape)).finish();
}

function buildModel(encoder: BertShape): onnxProto.onnx.IModelProto {
  const g = new GraphBuilder(mulberry32(SEED), encoder.hidden);
  const H = encoder.hidden;
  const { heads: headCount, layers, intermediate } = encoder;
  const headSize = H / headCount;

  // Embeddings: word + position (0..seq-1) + token type, then LayerNorm.
  const wordTable = g.weight("embeddings.word_embeddings.weight", [demoVocab.length, H], 1);
  const positionTable = g.weight("embeddings.position_embeddings.weight", [DEMO_BERT_MAX_LENGTH, H], 1);
  const typeTable = g.weight("embeddings.token_type_embeddings.weight", [TYPE_VOCAB, H], 1);
  const shape = g.op("Shape", ["input_ids"]);
  const seqLength = g.op("Gather", [shape, g.int64("const.one_scalar", [], [1])], [intAttr("axis", 0)]);
  const positions = g.op("Range", [
    g.int64("const.zero_scalar", [], [0]),
    seqLength,
    "const.one_scalar",
  ]);
  const summed = g.op("Add", [
    g.op("Add", [
      g.op("Gather", [wordTable, "input_ids"]),
      g.op("Gather", [positionTable, positions]),
    ]),
    g.op("Gather", [typeTable, "token_type_ids"]),
  ]);
  let hidden = g.layerNorm("embeddings.LayerNorm", summed);

  // Attention bias: 0 where the mask is 1, -10000 where it is 0 ([batch, 1, 1, seq]); after the
  // softmax's max-subtraction exp(-10000) is exactly 0, so padding never changes real tokens.
  const maskFloat = g.op("Cast", ["attention_mask"], [intAttr("to", onnx.TensorProto.DataType.FLOAT)]);
  const maskBias = g.op("Mul", [
    g.op("Sub", [g.float("const.one", [], [1]), maskFloat]),
    g.float("const.minus_10000", [], [-10000]),
  ]);
  const attentionBias = g.op("Unsqueeze", [maskBias, g.int64("const.axes_1_2", [2], [1, 2])]);
  const splitHeads = g.int64("const.split_heads_shape", [4], [0, 0, headCount, headSize]);
  const mergeHeads = g.int64("const.merge_heads_shape", [3], [0, 0, H]);
  const scale = g.float("const.attention_scale", [], [1 / Math.sqrt(headSize)]);

  for (let layer = 0; layer < layers; layer++) {
    const p = `encoder.layer.${layer}`;
    const heads = (name: string, perm: number[]) =>
      g.op("Transpose", [g.op("Reshape", [g.linear(`${p}.attention.self.${name}`, hidden, H, H), splitHeads])], [
        intsAttr("perm", perm),
      ]);
    const query = heads("query", [0, 2, 1, 3]); // [b, heads, seq, size]
    const keyT = heads("key", [0, 2, 3, 1]); // [b, heads, size, seq]
    const value = heads("value", [0, 2, 1, 3]);
    const scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [query, keyT]), scale]), attentionBias]);
    const probabilities = g.op("Softmax", [scores], [intAttr("axis", -1)]);
    const context = g.op("Reshape", [
      g.op("Transpose", [g.op("MatMul", [probabilities, value])], [intsAttr("perm", [0, 2, 1, 3])]),
      mergeHeads,
    ]);
    const attended = g.linear(`${p}.attention.output.dense`, context, H, H);
    hidden = g.layerNorm(`${p}.attention.output.LayerNorm`, g.op("Add", [attended, hidden]));

    const up = g.linear(`${p}.intermediate.dense`, hidden, H, intermediate);
    const down = g.linear(`${p}.output.dense`, g.gelu(up), intermediate, H);
    hidden = g.layerNorm(`${p}.output.LayerNorm`, g.op("Add", [down, hidden]));
  }
  g.nodes.push({ opType: "Identity", input: [hidden], output: ["last_hidden_state"], name: "output" });

  const tokens = (name: string) => tensorInfo(name, onnx.TensorProto.DataType.INT64, ["batch_size", "sequence_length"]);
  return {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "ns-llm",
    producerVersion: "1",
    docString: "NS-LLM demo sentence encoder: random weights, all-MiniLM-L6-v2's inputs and output.",
    graph: {
      name: "ns_llm_demo_bert",
      node: g.nodes,
      initializer: g.initializers,
      input: [tokens("input_ids"), tokens("attention_mask"), tokens("token_type_ids")],
      output: [
        tensorInfo("last_hidden_state", onnx.TensorProto.DataType.FLOAT, ["batch_size", "sequence_length", H]),
      ],
    },
  };
}

/** Collects nodes and initializers; names every intermediate value after its node. */
class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  #random: () => number;
  readonly #hidden: number;

  constructor(random: () => number, hidden: number) {
    this.#random = random;
    this.#hidden = hidden;
  }

  op(opType: string, input: string[], attribute: AttributeProto[] = []): string {
    const name = `${opType.toLowerCase()}_${this.nodes.length}`;
    this.nodes.push({ opType, input, output: [name], name, attribute });
    return name;
  }

  /** Uniform in [-bound, bound]. */
  weight(name: string, dims: number[], bound: number): string {
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = (this.#random() * 2 - 1) * bound;
    return this.float(name, dims, values);
  }

  float(name: string, dims: number[], values: ArrayLike<number>): string {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes });
    return name;
  }

  int64(name: string, dims: number[], values: number[]): string {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: bytes });
    return name;
  }

  /** x @ W + b with W [in, out]; bound sqrt(3 / in) keeps the output's variance near the input's. */
  linear(prefix: string, x: string, inputs: number, outputs: number): string {
    const w = this.weight(`${prefix}.weight`, [inputs, outputs], Math.sqrt(3 / inputs));
    const b = this.weight(`${prefix}.bias`, [outputs], 0.1);
    return this.op("Add", [this.op("MatMul", [x, w]), b]);
  }

  layerNorm(prefix: string, x: string): string {
    const gamma = new Float32Array(this.#hidden);
    for (let i = 0; i < gamma.length; i++) gamma[i] = 1 + (this.#random() * 2 - 1) * 0.1;
    const scale = this.float(`${prefix}.weight`, [this.#hidden], gamma);
    const bias = this.weight(`${prefix}.bias`, [this.#hidden], 0.1);
    return this.op("LayerNormalization", [x, scale, bias], [
      intAttr("axis", -1),
      floatAttr("epsilon", LAYER_NORM_EPSILON),
    ]);
  }

  /** BERT's exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)). */
  gelu(x: string): string {
    const erf = this.op("Erf", [this.op("Div", [x, this.float(`${x}.sqrt2`, [], [Math.SQRT2])])]);
    const half = this.op("Mul", [x, this.float(`${x}.half`, [], [0.5])]);
    return this.op("Mul", [half, this.op("Add", [erf, this.float(`${x}.one`, [], [1])])]);
  }
}

function tensorInfo(name: string, elemType: number, dims: (string | number)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function intAttr(name: string, i: number): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

function intsAttr(name: string, ints: number[]): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

function floatAttr(name: string, f: number): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f };
}
