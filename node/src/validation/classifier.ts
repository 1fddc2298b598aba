/**
 * The governed toxicity classifier (the `moderation` role): a BERT-family ONNX sequence classifier
 * on onnxruntime-node's CPU provider with our WordPiece tokenizer, as the embedding model runs.
 * It takes input_ids (and attention_mask, token_type_ids when the graph has them) and gives
 * `logits` [batch, labels]. The score of a text is the probability that it is toxic:
 *
 * - one label: sigmoid(logit);
 * - two labels: softmax, the second label (["not toxic", "toxic"], the usual binary head);
 * - more labels: multi-label (as unitary/toxic-bert's toxic, severe_toxic, obscene, threat,
 *   insult, identity_hate): the highest sigmoid.
 */
import path from "node:path";
import { stat } from "node:fs/promises";
import { loadWordPiece, oneAtATime, openOnnxSession, type OnnxSession, type OnnxTensor, type WordPieceTokenizer } from "../inference/embedding/index.ts";

export type ToxicityClassifier = {
  readonly info: { name: string; path: string; labels: number };
  /** Toxicity of each text, in [0, 1]. */
  score(texts: readonly string[]): Promise<number[]>;
  dispose(): Promise<void>;
};

export type CreateToxicityClassifierParameters = {
  model: string;
  /** vocab.txt or tokenizer.json; default: beside the model. */
  tokenizer?: string;
  name?: string;
  /** Most tokens of one text ([CLS] and [SEP] included); a sentence or window is far shorter. Default 128. */
  maxLength?: number;
};

const KNOWN_INPUTS = new Set(["input_ids", "attention_mask", "token_type_ids"]);

/** Loads the classifier and scores a probe text: a model that cannot give a score in [0, 1] fails here. */
export async function createToxicityClassifier(p: CreateToxicityClassifierParameters): Promise<ToxicityClassifier> {
  const modelPath = path.resolve(p.model);
  const tokenizerPath = p.tokenizer ? path.resolve(p.tokenizer) : await tokenizerBeside(modelPath);
  const tokenizer = await loadWordPiece({ path: tokenizerPath, maxLength: p.maxLength ?? 128 });
  const session = await openOnnxSession(modelPath, "classifier");
  try {
    const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.has(n));
    if (unknown.length || !session.inputNames.includes("input_ids")) {
      throw new Error(`the ONNX classifier ${modelPath} takes inputs [${session.inputNames.join(", ")}]; a sequence classifier takes input_ids, attention_mask and optionally token_type_ids`);
    }
    const output = session.outputNames.includes("logits") ? "logits" : session.outputNames[0]!;
    const classifier = makeClassifier(session, tokenizer, output, { name: p.name ?? path.basename(modelPath), path: modelPath, labels: 0 });
    const [probe] = await classifier.raw(["smoke test"]);
    if (!probe || probe.labels < 1) throw new Error(`the ONNX classifier ${modelPath} gives no logits`);
    classifier.info.labels = probe.labels;
    const [score] = await classifier.score(["smoke test"]);
    if (!(score! >= 0 && score! <= 1)) throw new Error(`the ONNX classifier ${modelPath} gives a score of ${score} (not in [0, 1])`);
    return classifier;
  } catch (error) {
    await session.release();
    throw error;
  }
}

function makeClassifier(session: OnnxSession, tokenizer: WordPieceTokenizer, outputName: string, info: { name: string; path: string; labels: number }) {
  // One session run at a time (one intra-op thread, sized for one).
  const exclusive = oneAtATime();
  let disposed = false;

  async function raw(texts: readonly string[]): Promise<Array<{ labels: number; logits: Float32Array }>> {
    if (disposed) throw new Error(`the classifier ${info.name} was disposed`);
    if (texts.length === 0) return [];
    const batch = tokenizer.encodeBatch(texts);
    const shape = [batch.batchSize, batch.sequenceLength];
    const feeds: Record<string, OnnxTensor> = { input_ids: { type: "int64", data: batch.inputIds, dims: shape } };
    if (session.inputNames.includes("attention_mask")) feeds.attention_mask = { type: "int64", data: batch.attentionMask, dims: shape };
    if (session.inputNames.includes("token_type_ids")) feeds.token_type_ids = { type: "int64", data: batch.tokenTypeIds, dims: shape };
    return exclusive(async () => {
      const out = (await session.run(feeds, [outputName]))[outputName]!;
      if (out.type !== "float32") throw new Error(`output ${outputName} is ${out.type}, expected float32`);
      const labels = out.dims.length === 2 ? out.dims[1]! : 1;
      return texts.map((_, i) => ({ labels, logits: out.data.subarray(i * labels, (i + 1) * labels) }));
    });
  }

  return {
    info,
    raw,
    async score(texts: readonly string[]): Promise<number[]> {
      return (await raw(texts)).map(({ logits }) => toxicityOf(logits));
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await exclusive(() => session.release());
    },
  };
}

/** The probability of "toxic" from a classifier's logits (see the file's comment). */
export function toxicityOf(logits: Float32Array | readonly number[]): number {
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  if (logits.length === 1) return sigmoid(logits[0]!);
  if (logits.length === 2) return sigmoid(logits[1]! - logits[0]!); // softmax of two = sigmoid of the difference
  let max = 0;
  for (const x of logits) max = Math.max(max, sigmoid(x));
  return max;
}

async function tokenizerBeside(modelPath: string): Promise<string> {
  const dir = path.dirname(modelPath);
  for (const name of ["tokenizer.json", "vocab.txt"]) {
    const candidate = path.join(dir, name);
    if (await stat(candidate).then((s) => s.isFile(), () => false)) return candidate;
  }
  throw new Error(`no tokenizer beside the classifier ${modelPath}: expected tokenizer.json or vocab.txt`);
}
