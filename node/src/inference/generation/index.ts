/** Text generation on llama.cpp: the engine behind the GenerationEngine interface. */
export {
  createGenerationEngine,
  type CreateGenerationEngineParameters,
  type LlamaGenerationEngine,
} from "./create-generation-engine.ts";
export { GenerationEngineDisposedError, GenerationRequestError } from "./errors.ts";
export { fallbackSampling } from "./sampling.ts";
export { capChangesOffload, gpuLayersOption, type GpuLayersOption, type GpuOffload } from "./gpu-layers.ts";
