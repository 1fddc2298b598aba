/**
 * Inference: the engines (llama.cpp generation, ONNX Runtime embeddings) behind the interfaces in
 * types.ts, the model slots that swap them atomically, the loads that fill the slots, and the
 * content-addressed model store (its own front door, store/index.ts). Nothing above imports an
 * engine's internals.
 */
export type {
  ChatMessage,
  ChatParameters,
  ChatRole,
  CompleteParameters,
  DecodeBatching,
  EmbeddingEngine,
  FinishReason,
  GenerateCommon,
  GenerationEngine,
  GenerationResult,
  ModelInfo,
  OutputFormat,
  SamplingOptions,
  TokenLogprob,
} from "./types.ts";
export { ModelSlot, type Disposable, type Lease, type LoadedManifest } from "./model-slot.ts";
export {
  createModels,
  type CreateModelsParameters,
  type EmbeddingModelSpec,
  type GenerationModelSpec,
  type LoadOptions,
  type ModelRole,
  type Models,
} from "./models.ts";
export { assertMemoryFor, InsufficientMemoryError, type AssertMemoryForParameters } from "./memory-check.ts";
export { GenerationEngineDisposedError, GenerationRequestError } from "./generation/errors.ts";
export { checkJsonSchema, checkOutputFormat } from "./generation/structured-output.ts";
export { logprobsOfText } from "./generation/logprobs.ts";
export { capChangesOffload, gpuLayersOption, type GpuLayersOption, type GpuOffload } from "./generation/gpu-layers.ts";
