/**
 * The demo generation model: a tiny llama-architecture GGUF that the project writes itself, so
 * tests and the offline demo go through the real loader, tokenizer, chat template and sampler
 * without downloading anything. Its weights come from a seeded PRNG (integer arithmetic only),
 * so every run on every machine writes the same bytes. It writes English words in a random but
 * fixed order; it never ends a reply by itself (its `</s>` logit is always zero), so a reply ends
 * at `maxTokens` or at a stop string.
 */
import { buildDemoVocabulary, tokenType } from "./demo-vocabulary.ts";
import { encodeGguf, gguf, type GgufTensor, type GgufValue } from "./gguf-writer.ts";
import { mulberry32 } from "./mulberry32.ts";
import { writeFileAtomic } from "./write-atomic.ts";

/** The shape of the demo model. */
export const demoLlamaShape = {
  contextLength: 512,
  embeddingLength: 64,
  blockCount: 2,
  headCount: 4,
  headCountKv: 4,
  feedForwardLength: 128,
  seed: 0x5eed_11a3,
} as const;

export const demoLlamaName = "ns-llm-demo-llama";

/** The TinyLlama-1.1B-Chat-v1.0 (Zephyr-style) chat template, verbatim (Apache-2.0). */
export const zephyrChatTemplate = [
  "{% for message in messages %}",
  "{% if message['role'] == 'user' %}",
  "{{ '<|user|>",
  "' + message['content'] + eos_token }}",
  "{% elif message['role'] == 'system' %}",
  "{{ '<|system|>",
  "' + message['content'] + eos_token }}",
  "{% elif message['role'] == 'assistant' %}",
  "{{ '<|assistant|>",
  "'  + message['content'] + eos_token }}",
  "{% endif %}",
  "{% if loop.last and add_generation_prompt %}",
  "{{ '<|assistant|>' }}",
  "{% endif %}",
  "{% endfor %}",
].join("\n");

export type DemoLlamaOptions = {
  /** The chat template to embed; `null` writes a model without one. Default: the Zephyr template. */
  chatTemplate?: string | null;
  /** Seed of the weights: another seed writes another, equally valid model (tests of swaps). Default demoLlamaShape.seed. */
  seed?: number;
  /** `general.name` in the file. Default demoLlamaName. */
  name?: string;
  /**
   * Writes a *degenerate* model (tests of the canary swap): it loads and completes like any other,
   * but repeats this one word of the vocabulary forever ("vote vote vote..."), the loop a badly
   * trained or corrupted model falls into. Its answers fail the coherence layer (repetition).
   */
  loopWord?: string;
  /**
   * The context length written in the file (default demoLlamaShape.contextLength): a small one
   * makes a model that loads and passes a short smoke test but cannot take a real prompt.
   */
  contextLength?: number;
};

/** Writes the demo model to `filePath` (atomically: a reader never sees half a file). */
export async function writeDemoLlama(filePath: string, options: DemoLlamaOptions = {}): Promise<void> {
  await writeFileAtomic(filePath, encodeDemoLlama(options));
}

/** The demo model's bytes. */
export function encodeDemoLlama({ chatTemplate = zephyrChatTemplate, seed, name = demoLlamaName, loopWord, contextLength = demoLlamaShape.contextLength }: DemoLlamaOptions = {}): Uint8Array {
  const s = demoLlamaShape;
  const vocabulary = buildDemoVocabulary();
  const vocabSize = vocabulary.tokens.length;
  const random = mulberry32(seed ?? s.seed);
  const headDim = s.embeddingLength / s.headCount;
  const kvLength = headDim * s.headCountKv;

  /** Uniform in [-scale, scale): variance scale²/3. */
  const uniform = (count: number, scale: number): Float32Array => {
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = (random() * 2 - 1) * scale;
    return data;
  };
  const ones = (count: number): Float32Array => new Float32Array(count).fill(1);
  /** A weight for `y = W x`, x of size `inputs`: unit variance out for unit variance in. */
  const linear = (name: string, inputs: number, outputs: number): GgufTensor => ({
    name,
    dims: [inputs, outputs],
    data: uniform(inputs * outputs, Math.sqrt(3 / inputs)),
  });
  /** One row per token, scaled by what the token is, so the model writes whole words. */
  const perToken = (name: string, scaleOf: (id: number) => number): GgufTensor => {
    const data = uniform(vocabSize * s.embeddingLength, 1);
    for (let id = 0; id < vocabSize; id++) {
      const scale = scaleOf(id);
      for (let j = 0; j < s.embeddingLength; j++) data[id * s.embeddingLength + j]! *= scale;
    }
    return { name, dims: [s.embeddingLength, vocabSize], data };
  };

  const isText = (id: number) => vocabulary.types[id] === tokenType.normal;
  const tensors: GgufTensor[] = [perToken("token_embd.weight", (id) => (isText(id) ? 1 : 0.1))];
  for (let b = 0; b < s.blockCount; b++) {
    tensors.push(
      { name: `blk.${b}.attn_norm.weight`, dims: [s.embeddingLength], data: ones(s.embeddingLength) },
      linear(`blk.${b}.attn_q.weight`, s.embeddingLength, s.embeddingLength),
      linear(`blk.${b}.attn_k.weight`, s.embeddingLength, kvLength),
      linear(`blk.${b}.attn_v.weight`, s.embeddingLength, kvLength),
      linear(`blk.${b}.attn_output.weight`, s.embeddingLength, s.embeddingLength),
      { name: `blk.${b}.ffn_norm.weight`, dims: [s.embeddingLength], data: ones(s.embeddingLength) },
      linear(`blk.${b}.ffn_gate.weight`, s.embeddingLength, s.feedForwardLength),
      linear(`blk.${b}.ffn_up.weight`, s.embeddingLength, s.feedForwardLength),
      linear(`blk.${b}.ffn_down.weight`, s.feedForwardLength, s.embeddingLength),
    );
  }
  tensors.push(
    { name: "output_norm.weight", dims: [s.embeddingLength], data: ones(s.embeddingLength) },
    loopWord !== undefined
      ? loopOutput(vocabulary, loopWord, tensors[0]!, s.embeddingLength)
      : // An own output matrix (not tied to the embeddings), else the likeliest next token is the
        // current one and greedy output is one word repeated. Whole words get large logits, word
        // pieces small ones, and control, byte and chat marker tokens none.
        perToken("output.weight", (id) => (vocabulary.wordIds.has(id) ? 0.6 : isText(id) && !vocabulary.markerIds.has(id) ? 0.15 : 0)),
  );

  const metadata: Array<readonly [string, GgufValue]> = [
    ["general.architecture", gguf.str("llama")],
    ["general.name", gguf.str(name)],
    ["general.description", gguf.str("NS-LLM's generated demo model: random weights, real format, for tests and the offline demo")],
    ["general.license", gguf.str("MIT")],
    ["general.file_type", gguf.u32(0)], // all f32
    ["general.alignment", gguf.u32(32)],
    ["llama.vocab_size", gguf.u32(vocabSize)],
    ["llama.context_length", gguf.u32(contextLength)],
    ["llama.embedding_length", gguf.u32(s.embeddingLength)],
    ["llama.block_count", gguf.u32(s.blockCount)],
    ["llama.feed_forward_length", gguf.u32(s.feedForwardLength)],
    ["llama.attention.head_count", gguf.u32(s.headCount)],
    ["llama.attention.head_count_kv", gguf.u32(s.headCountKv)],
    ["llama.rope.dimension_count", gguf.u32(headDim)],
    ["llama.rope.freq_base", gguf.f32(10000)],
    ["llama.attention.layer_norm_rms_epsilon", gguf.f32(1e-5)],
    ["tokenizer.ggml.model", gguf.str("llama")],
    ["tokenizer.ggml.tokens", gguf.strings(vocabulary.tokens)],
    ["tokenizer.ggml.scores", gguf.f32s(vocabulary.scores)],
    ["tokenizer.ggml.token_type", gguf.i32s(vocabulary.types)],
    ["tokenizer.ggml.bos_token_id", gguf.u32(vocabulary.bosId)],
    ["tokenizer.ggml.eos_token_id", gguf.u32(vocabulary.eosId)],
    ["tokenizer.ggml.unknown_token_id", gguf.u32(vocabulary.unkId)],
    ["tokenizer.ggml.add_bos_token", gguf.bool(true)],
    ["tokenizer.ggml.add_eos_token", gguf.bool(false)],
  ];
  if (chatTemplate !== null) metadata.push(["tokenizer.chat_template", gguf.str(chatTemplate)]);
  return encodeGguf({ metadata, tensors });
}

/**
 * The degenerate model's output layer: every token's embedding gets a large constant first
 * component, which the residual stream carries to the last layer, and only `word`'s output row
 * reads it; every other row is zero. So `word` has the largest logit at every position.
 */
function loopOutput(vocabulary: ReturnType<typeof buildDemoVocabulary>, word: string, embeddings: GgufTensor, width: number): GgufTensor {
  const id = vocabulary.tokens.indexOf(`▁${word}`);
  if (id < 0 || !vocabulary.wordIds.has(id)) throw new Error(`"${word}" is not a word of the demo vocabulary`);
  // The demo writes its embeddings unquantized, so the table is a Float32Array.
  if (!("data" in embeddings)) throw new Error("the demo model's token embeddings are expected unquantized");
  const table = embeddings.data;
  for (let t = 0; t < vocabulary.tokens.length; t++) table[t * width] = 8;
  const data = new Float32Array(vocabulary.tokens.length * width);
  data[id * width] = 4;
  return { name: "output.weight", dims: [width, vocabulary.tokens.length], data };
}
