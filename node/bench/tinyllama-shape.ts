/**
 * A model of TinyLlama-1.1B's exact shape (22 blocks, 2048 wide, 32 heads with 4 KV heads, FFN
 * 5632, 32000 tokens) with random weights, quantized to Q4_0 (about 620 MB) or Q8_0. What a
 * token costs to decode depends on the shape and the quantization, not on the weights' values,
 * so this stands in for the real model in speed benchmarks without a download. It writes words
 * of the demo vocabulary (padded to 32000 with unused tokens it never writes) and never ends a
 * reply by itself (its `</s>` row of the output matrix is zero), so every reply is maxTokens long.
 *
 *   node bench/tinyllama-shape.ts out.gguf [--type q4_0|q8_0]
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { zephyrChatTemplate } from "../src/demo/demo-llama.ts";
import { buildDemoVocabulary, tokenType } from "../src/demo/demo-vocabulary.ts";
import { encodeGguf, gguf, ggufQuantizedTypes, type GgufQuantizedType, type GgufTensor } from "../src/demo/gguf-writer.ts";
import { mulberry32 } from "../src/demo/mulberry32.ts";
import { writeFileAtomic } from "../src/demo/write-atomic.ts";

export const tinyLlamaShape = {
  vocabSize: 32000,
  contextLength: 2048,
  embeddingLength: 2048,
  blockCount: 22,
  headCount: 32,
  headCountKv: 4,
  feedForwardLength: 5632,
} as const;

/** The file_type llama.cpp reports for a model mostly of this type. */
const fileTypeOf = { q4_0: 2, q8_0: 7 } as const;
const UNUSED = 5; // llama.cpp's token type for a slot nothing tokenizes to

/** Writes the model to `filePath` unless it is there already (atomically). */
export async function writeTinyLlamaShape(filePath: string, type: GgufQuantizedType = "q4_0"): Promise<void> {
  if (existsSync(filePath)) return;
  await writeFileAtomic(filePath, encodeTinyLlamaShape(type));
}

export function encodeTinyLlamaShape(type: GgufQuantizedType): Uint8Array {
  const s = tinyLlamaShape;
  const vocabulary = buildDemoVocabulary();
  const tokens = [...vocabulary.tokens];
  const scores = [...vocabulary.scores];
  const types = [...vocabulary.types];
  while (tokens.length < s.vocabSize) {
    tokens.push(`<unused${tokens.length}>`);
    scores.push(-1e6);
    types.push(UNUSED);
  }
  const random = mulberry32(0x71a1_11a3);
  const layout = ggufQuantizedTypes[type];
  const headDim = s.embeddingLength / s.headCount;
  const kvLength = headDim * s.headCountKv;

  /**
   * Random quantized rows of `inputs` values, `outputs` rows; values of variance `variance`.
   * `rowScale` scales (or, at 0, zeroes) a row.
   */
  const quantized = (name: string, inputs: number, outputs: number, variance: number, rowScale?: (row: number) => number): GgufTensor => {
    const blocksPerRow = inputs / layout.blockValues;
    const bytes = new Uint8Array(blocksPerRow * outputs * layout.blockBytes);
    const view = new DataView(bytes.buffer);
    // Quantized values are uniform: 4-bit q - 8 in [-8, 7] (variance 21.25), int8 in [-127, 127] (variance 5376).
    const baseScale = Math.sqrt(variance / (type === "q4_0" ? 21.25 : 5376));
    for (let row = 0; row < outputs; row++) {
      const scale = f16Bits(baseScale * (rowScale ? rowScale(row) : 1));
      for (let b = 0; b < blocksPerRow; b++) {
        const at = (row * blocksPerRow + b) * layout.blockBytes;
        view.setUint16(at, scale, true);
        for (let i = 2; i < layout.blockBytes; i += 4) {
          const r = (random() * 4294967296) >>> 0;
          for (let k = 0; k < 4 && i + k < layout.blockBytes; k++) bytes[at + i + k] = type === "q8_0" && ((r >>> (8 * k)) & 0xff) === 0x80 ? 0x81 : (r >>> (8 * k)) & 0xff;
        }
      }
    }
    return { name, dims: [inputs, outputs], type, bytes };
  };
  const linear = (name: string, inputs: number, outputs: number) => quantized(name, inputs, outputs, 1 / inputs);
  const ones = (name: string): GgufTensor => ({ name, dims: [s.embeddingLength], data: new Float32Array(s.embeddingLength).fill(1) });

  const isText = (id: number) => types[id] === tokenType.normal;
  const tensors: GgufTensor[] = [quantized("token_embd.weight", s.embeddingLength, s.vocabSize, 1)];
  for (let b = 0; b < s.blockCount; b++) {
    tensors.push(
      ones(`blk.${b}.attn_norm.weight`),
      linear(`blk.${b}.attn_q.weight`, s.embeddingLength, s.embeddingLength),
      linear(`blk.${b}.attn_k.weight`, s.embeddingLength, kvLength),
      linear(`blk.${b}.attn_v.weight`, s.embeddingLength, kvLength),
      linear(`blk.${b}.attn_output.weight`, s.embeddingLength, s.embeddingLength),
      ones(`blk.${b}.ffn_norm.weight`),
      linear(`blk.${b}.ffn_gate.weight`, s.embeddingLength, s.feedForwardLength),
      linear(`blk.${b}.ffn_up.weight`, s.embeddingLength, s.feedForwardLength),
      linear(`blk.${b}.ffn_down.weight`, s.feedForwardLength, s.embeddingLength),
    );
  }
  tensors.push(
    ones("output_norm.weight"),
    // Whole words likely, other text pieces less, control/unused/byte tokens and chat markers never.
    quantized("output.weight", s.embeddingLength, s.vocabSize, 1 / s.embeddingLength, (id) =>
      vocabulary.wordIds.has(id) ? 4 : isText(id) && !vocabulary.markerIds.has(id) ? 1 : 0,
    ),
  );

  return encodeGguf({
    metadata: [
      ["general.architecture", gguf.str("llama")],
      ["general.name", gguf.str(`tinyllama-1.1b-shape-${type}`)],
      ["general.description", gguf.str("TinyLlama-1.1B's shape with random weights, for NS-LLM's speed benchmarks")],
      ["general.file_type", gguf.u32(fileTypeOf[type])],
      ["general.alignment", gguf.u32(32)],
      ["llama.vocab_size", gguf.u32(s.vocabSize)],
      ["llama.context_length", gguf.u32(s.contextLength)],
      ["llama.embedding_length", gguf.u32(s.embeddingLength)],
      ["llama.block_count", gguf.u32(s.blockCount)],
      ["llama.feed_forward_length", gguf.u32(s.feedForwardLength)],
      ["llama.attention.head_count", gguf.u32(s.headCount)],
      ["llama.attention.head_count_kv", gguf.u32(s.headCountKv)],
      ["llama.rope.dimension_count", gguf.u32(headDim)],
      ["llama.rope.freq_base", gguf.f32(10000)],
      ["llama.attention.layer_norm_rms_epsilon", gguf.f32(1e-5)],
      ["tokenizer.ggml.model", gguf.str("llama")],
      ["tokenizer.ggml.tokens", gguf.strings(tokens)],
      ["tokenizer.ggml.scores", gguf.f32s(scores)],
      ["tokenizer.ggml.token_type", gguf.i32s(types)],
      ["tokenizer.ggml.bos_token_id", gguf.u32(vocabulary.bosId)],
      ["tokenizer.ggml.eos_token_id", gguf.u32(vocabulary.eosId)],
      ["tokenizer.ggml.unknown_token_id", gguf.u32(vocabulary.unkId)],
      ["tokenizer.ggml.add_bos_token", gguf.bool(true)],
      ["tokenizer.ggml.add_eos_token", gguf.bool(false)],
      ["tokenizer.chat_template", gguf.str(zephyrChatTemplate)],
    ],
    tensors,
  });
}

/** IEEE half-precision bits of a small positive or zero number (normal range, round to nearest). */
function f16Bits(value: number): number {
  if (value === 0) return 0;
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  if (exponent <= 0 || exponent >= 31) throw new RangeError(`${value} is outside f16's normal range`);
  const mantissa = (bits >>> 13) & 0x3ff;
  const round = (bits >>> 12) & 1;
  return ((exponent << 10) | mantissa) + round;
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { type: { type: "string", default: "q4_0" } } });
  const file = positionals[0];
  const type = values.type as GgufQuantizedType;
  if (!file || !(type in ggufQuantizedTypes)) {
    console.error("usage: node bench/tinyllama-shape.ts out.gguf [--type q4_0|q8_0]");
    process.exit(2);
  }
  const started = performance.now();
  await writeTinyLlamaShape(file, type);
  console.log(`wrote ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
