/**
 * The embedding engine: a BERT-family ONNX encoder (all-MiniLM-L6-v2 layout) on onnxruntime-node's
 * CPU provider, our WordPiece tokenizer, mean pooling over the attention mask and L2
 * normalisation. Texts are sorted by length and run in batches of at most `batchSize`, each padded
 * to its own longest text, so a short text never pays for a long one beside it.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import type { EmbeddingEngine } from "../types.ts";
import { meanPoolNormalize, normalizeRows } from "./mean-pool.ts";
import { loadWordPiece, type EncodedBatch, type WordPieceTokenizer } from "./wordpiece.ts";
import { oneAtATime } from "./one-at-a-time.ts";
import { openOnnxSession, type OnnxSession, type OnnxTensor } from "../onnx/session.ts";

export type CreateEmbeddingEngineParameters = {
  /** The ONNX file. */
  model: string;
  /** `vocab.txt` or HF `tokenizer.json`; default: `tokenizer.json`, else `vocab.txt`, beside the model. */
  tokenizer?: string;
  /** For people and /v1/models (the manifest's name); default: the model file's name. */
  name?: string;
  /** onnxruntime intra-op threads. Default 1 (the fastest on 2 shared cores). */
  threads?: number;
  /** Most tokens a text is cut to, [CLS] and [SEP] included. Default 256 (all-MiniLM-L6-v2's). */
  maxLength?: number;
  /** Most texts in one session run. Default 32. */
  batchSize?: number;
};

export type CreateEmbeddingEngineReturnType = EmbeddingEngine & {
  /** The tokenizer the engine uses (for counting tokens, tests and benchmarks). */
  readonly tokenizer: WordPieceTokenizer;
};

const DEFAULT_MAX_LENGTH = 256;
const DEFAULT_BATCH_SIZE = 32;
const KNOWN_INPUTS = new Set(["input_ids", "attention_mask", "token_type_ids"]);

/**
 * Loads the model and tokenizer, then encodes one text of `maxLength` tokens: a smoke test that
 * also reads the vector size, so a model that cannot take `maxLength` tokens fails here, not on a
 * user's long text.
 */
export async function createEmbeddingEngine(parameters: CreateEmbeddingEngineParameters): Promise<CreateEmbeddingEngineReturnType> {
  const modelPath = path.resolve(parameters.model);
  const threads = parameters.threads ?? 1;
  const maxLength = parameters.maxLength ?? DEFAULT_MAX_LENGTH;
  const batchSize = parameters.batchSize ?? DEFAULT_BATCH_SIZE;
  positiveInteger("threads", threads);
  positiveInteger("maxLength", maxLength);
  positiveInteger("batchSize", batchSize);
  if (maxLength < 2) throw new Error(`maxLength must be at least 2 (room for [CLS] and [SEP]), got ${maxLength}`);

  await mustExist(modelPath, "embedding model file");
  const tokenizerPath = parameters.tokenizer ? path.resolve(parameters.tokenizer) : await tokenizerBeside(modelPath);
  await mustExist(tokenizerPath, "tokenizer file");
  const tokenizer = await loadWordPiece({ path: tokenizerPath, maxLength });

  const session = await openOnnxSession(modelPath, "model", threads);

  try {
    const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.has(n));
    if (unknown.length || !session.inputNames.includes("input_ids")) {
      throw new Error(
        `the ONNX model ${modelPath} takes inputs [${session.inputNames.join(", ")}]; an encoder takes input_ids, attention_mask and optionally token_type_ids`,
      );
    }
    const outputName = ["last_hidden_state", "token_embeddings"].find((n) => session.outputNames.includes(n)) ?? session.outputNames[0]!;

    const run = async (batch: EncodedBatch): Promise<Float32Array[]> => {
      const shape = [batch.batchSize, batch.sequenceLength];
      const feeds: Record<string, OnnxTensor> = { input_ids: { type: "int64", data: batch.inputIds, dims: shape } };
      if (session.inputNames.includes("attention_mask")) feeds.attention_mask = { type: "int64", data: batch.attentionMask, dims: shape };
      if (session.inputNames.includes("token_type_ids")) feeds.token_type_ids = { type: "int64", data: batch.tokenTypeIds, dims: shape };
      const output = (await session.run(feeds, [outputName]))[outputName]!;
      if (output.type !== "float32") throw new Error(`output ${outputName} is ${output.type}, expected float32`);
      const dims = output.dims;
      if (dims.length === 3) {
        return meanPoolNormalize({ hidden: output.data, batchSize: batch.batchSize, sequenceLength: batch.sequenceLength, dimensions: dims[2]!, attentionMask: batch.attentionMask });
      }
      if (dims.length === 2) return normalizeRows(output.data, batch.batchSize, dims[1]!); // already pooled
      throw new Error(`output ${outputName} has shape [${dims.join(", ")}], expected [batch, sequence, hidden]`);
    };

    let dimensions: number;
    try {
      const probe = await run(tokenizer.encodeBatch(["a ".repeat(maxLength)]));
      dimensions = probe[0]!.length;
    } catch (error) {
      throw new Error(
        `the ONNX model ${modelPath} failed its smoke test on ${maxLength} tokens (is maxLength within the model's limit?): ${(error as Error).message}`,
        { cause: error },
      );
    }
    return makeEngine({ session, tokenizer, run, batchSize, info: {
        name: parameters.name ?? path.basename(modelPath),
        path: modelPath,
        dimensions,
        maxLength,
        // The session is created on onnxruntime's CPU execution provider only (see above).
        device: { backend: "cpu", gpuLayers: 0 },
      },
    });
  } catch (error) {
    await session.release();
    throw error;
  }
}

type MakeEngineParameters = {
  session: OnnxSession;
  tokenizer: WordPieceTokenizer;
  run: (batch: EncodedBatch) => Promise<Float32Array[]>;
  batchSize: number;
  info: CreateEmbeddingEngineReturnType["info"];
};

function makeEngine({ session, tokenizer, run, batchSize, info }: MakeEngineParameters): CreateEmbeddingEngineReturnType {
  // One session run at a time: the intra-op threads are sized for one, and a long batch list of
  // one caller interleaves with others' at batch boundaries instead of piling up in memory.
  const exclusive = oneAtATime();
  let disposed = false;

  async function embed(texts: string[]): Promise<Float32Array[]> {
    if (disposed) throw new Error(`the embedding engine for ${info.name} was disposed`);
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) {
      throw new TypeError("embed takes an array of strings");
    }
    const encoded = texts.map((text, index) => ({ index, ids: tokenizer.encode(text) }));
    encoded.sort((a, b) => a.ids.length - b.ids.length);
    const vectors = new Array<Float32Array>(texts.length);
    for (let start = 0; start < encoded.length; start += batchSize) {
      const chunk = encoded.slice(start, start + batchSize);
      const batch = tokenizer.pad(chunk.map((c) => c.ids));
      const out = await exclusive(() => {
        if (disposed) throw new Error(`the embedding engine for ${info.name} was disposed`);
        return run(batch);
      });
      chunk.forEach((c, i) => (vectors[c.index] = out[i]!));
    }
    return vectors;
  }

  return {
    info,
    tokenizer,
    embed,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await exclusive(() => session.release());
    },
  };
}

async function tokenizerBeside(modelPath: string): Promise<string> {
  const dir = path.dirname(modelPath);
  for (const name of ["tokenizer.json", "vocab.txt"]) {
    const candidate = path.join(dir, name);
    if (await exists(candidate)) return candidate;
  }
  throw new Error(`no tokenizer beside the embedding model ${modelPath}: expected ${path.join(dir, "tokenizer.json")} or ${path.join(dir, "vocab.txt")} (or pass tokenizer)`);
}

async function mustExist(file: string, what: string): Promise<void> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `${what} not found: ${file}` : `cannot read the ${what} ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (!info.isFile()) throw new Error(`${what} is not a file: ${file}`);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
}
