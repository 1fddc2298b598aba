/**
 * The governed cap on GPU layers (`limits.maxGpuLayers`) as llama.cpp loads a model, and whether a
 * new cap changes what a loaded model offloads. No import of node-llama-cpp's code: the serving
 * side decides on reloads without loading llama.cpp.
 */

/** node-llama-cpp's `gpuLayers` option (LlamaModelOptions), in the forms a cap produces. */
export type GpuLayersOption = "auto" | number | { max: number };

/** How a loaded generation model uses the GPU, for deciding whether a new cap needs a reload. */
export type GpuOffload = {
  /** The node's llama.cpp can offload to a GPU (`llama.supportsGpuOffloading`); false on a CPU-only node. */
  supported: boolean;
  /** The model's layers as llama.cpp counts them for offload (its blocks, plus the output layer). */
  totalLayers: number;
  /** The cap the model was loaded with (null: none, as many as fit). */
  cap: number | null;
  /** Layers offloaded (`model.gpuLayers`). */
  gpuLayers: number;
};

/**
 * The `gpuLayers` option of `llama.loadModel` for a cap: none, "auto" (as many layers as fit in
 * the GPU's free memory); 0, none (the CPU only); N, "auto" bounded by N (`{ max: N }`: at most N,
 * fewer when they do not fit, so a cap never makes a load fail for want of VRAM). On a node with no
 * GPU, node-llama-cpp offloads none whatever the option.
 */
export function gpuLayersOption(cap: number | undefined): GpuLayersOption {
  if (cap === undefined) return "auto";
  if (!Number.isInteger(cap) || cap < 0) throw new RangeError(`the GPU layer cap must be an integer >= 0, got ${cap}`);
  return cap === 0 ? 0 : { max: cap };
}

/**
 * Whether loading the model again under `cap` could offload a different number of layers than it
 * does now. False on a node that cannot offload (nothing is on a GPU, nothing can be). Otherwise
 * true when the model offloads more than the new cap allows, or when the old cap was what held it
 * back (it offloads exactly the old cap, fewer than all its layers) and the new one allows more.
 * A model that "auto" left at N layers for want of memory stays at N under any cap >= N.
 */
export function capChangesOffload(loaded: GpuOffload, cap: number | undefined): boolean {
  if (!loaded.supported) return false;
  const allowed = Math.min(cap ?? loaded.totalLayers, loaded.totalLayers);
  if (loaded.gpuLayers > allowed) return true;
  const heldBack = loaded.cap !== null && loaded.gpuLayers >= loaded.cap && loaded.gpuLayers < loaded.totalLayers;
  return heldBack && allowed > loaded.gpuLayers;
}
