/**
 * The models a node serves: one slot per role, and the loads that fill them. A load checks that the
 * model fits in free memory, builds the engine beside the one serving, runs the caller's smoke test
 * and only then swaps it in: requests in flight finish on the old engine, new ones get the new. A
 * failed load leaves the current engine serving and is remembered for /health.
 *
 * The engines' modules load on first use, so a node (or a test) that never generates does not
 * load llama.cpp.
 */
import path from "node:path";
import { assertMemoryFor } from "./memory-check.ts";
import { ModelSlot, type LoadedManifest } from "./model-slot.ts";
import type { EmbeddingEngine, GenerationEngine } from "./types.ts";

export type GenerationModelSpec = { modelPath: string; name?: string; manifest?: Partial<LoadedManifest> };
export type EmbeddingModelSpec = { model: string; tokenizer?: string; name?: string; manifest?: Partial<LoadedManifest> };

/**
 * `smokeTest` runs on the new engine before it replaces the current one; a failure disposes it.
 * `signal` abandons the load (the governance follower moved on): the engine is disposed, not swapped in.
 */
export type LoadOptions<E> = {
  smokeTest?: (engine: E) => Promise<void>;
  /**
   * Runs after the smoke test, before the swap: resolves to swap, throws to keep the current engine
   * (the new one is disposed). The canary swap (serving/canary.ts) serves live traffic in it.
   */
  trial?: (engine: E) => Promise<void>;
  signal?: AbortSignal;
};

export type ModelRole = "generation" | "embedding";

export type CreateModelsParameters = {
  /** Inference threads of the generation engine. */
  threads: number;
  /** Sequences of the generation context (generations at once). Default 4. */
  sequences?: number;
  contextSize?: number;
  /** Free memory needed = model files x this. Default 1.5. */
  memoryFactor?: number;
  /**
   * The cap on the generation model's GPU layers (the governed `limits.maxGpuLayers`), read at
   * every load of a generation model; undefined: as many as fit.
   */
  gpuLayerCap?: () => number | undefined;
};

export type Models = {
  slots: { generation: ModelSlot<GenerationEngine>; embedding: ModelSlot<EmbeddingEngine> };
  /** Loads a model (after the memory check) and swaps it in; running requests finish on the old one. */
  loadGeneration(spec: GenerationModelSpec, options?: LoadOptions<GenerationEngine>): Promise<void>;
  loadEmbedding(spec: EmbeddingModelSpec, options?: LoadOptions<EmbeddingEngine>): Promise<void>;
  /** Why a role's last load failed, until one succeeds. */
  loadErrors(): Partial<Record<ModelRole, string>>;
  /** Calls `listener` after every swap (metrics, the scheduler's capacity); returns the unsubscribe function. */
  onSwap(listener: (role: ModelRole) => void): () => void;
  /** Empties both slots and waits until every engine is disposed. */
  close(): Promise<void>;
};

export function createModels(parameters: CreateModelsParameters): Models {
  const { threads, sequences = 4, contextSize, memoryFactor = 1.5, gpuLayerCap = () => undefined } = parameters;
  const generation = new ModelSlot<GenerationEngine>();
  const embedding = new ModelSlot<EmbeddingEngine>();
  const loadErrors: Partial<Record<ModelRole, string>> = {};
  const swapListeners = new Set<(role: ModelRole) => void>();

  /** Runs `load` for `role`, remembering why it failed (an abandoned load is no fault of the model). */
  async function tracked(role: ModelRole, signal: AbortSignal | undefined, load: () => Promise<void>): Promise<void> {
    try {
      signal?.throwIfAborted();
      await load();
      delete loadErrors[role];
      for (const listener of swapListeners) listener(role);
    } catch (error) {
      if (!signal?.aborted) loadErrors[role] = (error as Error).message;
      throw error;
    }
  }

  return {
    slots: { generation, embedding },
    loadErrors: () => ({ ...loadErrors }),
    onSwap(listener) {
      swapListeners.add(listener);
      return () => swapListeners.delete(listener);
    },

    loadGeneration(spec, load = {}) {
      const name = spec.name ?? spec.manifest?.name ?? path.basename(spec.modelPath).replace(/\.gguf$/i, "");
      return tracked("generation", load.signal, async () => {
        await assertMemoryFor({ files: [spec.modelPath], factor: memoryFactor, what: `the generation model ${name}` });
        const { createGenerationEngine } = await import("./generation/index.ts");
        const cap = gpuLayerCap();
        const engine = await createGenerationEngine({
          modelPath: spec.modelPath,
          name,
          threads,
          sequences,
          ...(contextSize ? { contextSize } : {}),
          ...(load.signal ? { signal: load.signal } : {}),
          ...(cap !== undefined ? { gpuLayerCap: cap } : {}),
        });
        await verifyOrDispose(engine, load);
        generation.swap(engine, manifestOf(spec.manifest, name));
      });
    },

    loadEmbedding(spec, load = {}) {
      const name = spec.name ?? spec.manifest?.name ?? path.basename(spec.model).replace(/\.onnx$/i, "");
      return tracked("embedding", load.signal, async () => {
        const files = spec.tokenizer ? [spec.model, spec.tokenizer] : [spec.model];
        await assertMemoryFor({ files, factor: memoryFactor, what: `the embedding model ${name}` });
        const { createEmbeddingEngine } = await import("./embedding/index.ts");
        // One intra-op thread was the fastest on 2 cores (DESIGN.md).
        const engine = await createEmbeddingEngine({ model: spec.model, ...(spec.tokenizer ? { tokenizer: spec.tokenizer } : {}), name, threads: 1 });
        await verifyOrDispose(engine, load);
        embedding.swap(engine, manifestOf(spec.manifest, name));
      });
    },

    async close() {
      await Promise.all([generation.close(), embedding.close()]);
    },
  };
}

function manifestOf(given: Partial<LoadedManifest> | undefined, name: string): LoadedManifest {
  return { cid: given?.cid, name: given?.name ?? name, version: given?.version, digest: given?.digest };
}

/** Runs the smoke test, and disposes the engine when it fails or when the load was abandoned meanwhile. */
async function verifyOrDispose<E extends { dispose(): Promise<void> }>(engine: E, { smokeTest, trial, signal }: LoadOptions<E>): Promise<void> {
  try {
    await smokeTest?.(engine);
    signal?.throwIfAborted();
    await trial?.(engine);
    signal?.throwIfAborted();
  } catch (error) {
    await engine.dispose().catch(() => {});
    throw error;
  }
}
