/** Embeddings: a BERT-family ONNX encoder with its WordPiece tokenizer, mean pooling and L2 norm. */
export {
  createEmbeddingEngine,
  type CreateEmbeddingEngineParameters,
  type CreateEmbeddingEngineReturnType,
} from "./create-embedding-engine.ts";
export {
  createWordPiece,
  loadWordPiece,
  type EncodedBatch,
  type LoadWordPieceParameters,
  type WordPieceOptions,
  type WordPieceTokenizer,
} from "./wordpiece.ts";
export { oneAtATime } from "./one-at-a-time.ts";
export { openOnnxSession, type OnnxSession, type OnnxTensor } from "../onnx/session.ts";
