/**
 * Honours the governed cap on GPU layers (`limits.maxGpuLayers`) while a generation model is
 * loaded. Every load of a generation model reads the cap in force (models.ts, the dry-run
 * sandbox), so an adoption, a canary and a restart load under it; this is for the model already
 * serving when a vote changes the cap. When the new cap changes what the model would offload, the
 * model is loaded again under it through the adoption's own path (`models.loadGeneration`: beside
 * the current one, smoke-tested, then swapped in; requests in flight finish on the old engine; a
 * failure leaves the current one serving, and is logged).
 *
 * On a CPU-only node (`llama.supportsGpuOffloading` false: no GPU, or llama.cpp's CPU binary, as
 * on this project's CI machines) no layer is on a GPU and none can be, whatever the cap: the model
 * is never reloaded, and /health says so (`device.gpuOffloading: false`).
 *
 * Checked after each governed change and after each generation swap (a model adopted while the
 * cap changed is brought under it). A reload gives way to an adoption: when the slot no longer
 * serves the engine it reloads by the time the new copy is ready, the copy is dropped.
 */
import { capChangesOffload, type GenerationEngine, type Models } from "../inference/index.ts";

export type FollowGpuLayerCapParameters = {
  models: Pick<Models, "slots" | "loadGeneration" | "onSwap">;
  /** The cap in force (GovernedState.gpuLayerCap): undefined, as many layers as fit. */
  cap: () => number | undefined;
  /** Calls its listener after each change of the governed parameters; returns the unsubscribe function. */
  onChange: (listener: () => void) => () => void;
  log: (line: string) => void;
};

export type GpuLayerCapFollower = {
  /** Reloads the generation model if the cap in force changes what it offloads; resolves when done. */
  check(): Promise<void>;
  stop(): void;
};

export function followGpuLayerCap(p: FollowGpuLayerCapParameters): GpuLayerCapFollower {
  const slot = p.models.slots.generation;
  let running: Promise<void> | undefined;
  let again = false;

  const current = (): { engine: GenerationEngine; manifest: NonNullable<typeof slot.manifest> } | undefined => {
    const lease = slot.acquire();
    lease?.release();
    return lease ? { engine: lease.engine, manifest: lease.manifest } : undefined;
  };

  async function reconcile(): Promise<void> {
    const serving = current();
    const offload = serving?.engine.info.offload;
    const cap = p.cap();
    // No model, an engine that is not llama.cpp's, a CPU-only node, or a cap that moves no layer.
    if (!serving || !offload || !capChangesOffload(offload, cap)) return;
    const { engine, manifest } = serving;
    const capText = cap === undefined ? "none (as many as fit)" : String(cap);
    p.log(`the GPU layer cap is now ${capText}: reloading ${manifest.name} (${offload.gpuLayers} of ${offload.totalLayers} layers offloaded under cap ${offload.cap ?? "none"})`);
    const superseded = new AbortController();
    try {
      await p.models.loadGeneration(
        { modelPath: engine.info.path, name: manifest.name, manifest },
        {
          signal: superseded.signal,
          // As an adoption's: the copy must answer before it serves.
          smokeTest: async (copy) => {
            const result = await copy.complete({ prompt: "Hello", maxTokens: 4, temperature: 0, seed: 1 });
            if (!Number.isFinite(result.ms) || result.finishReason === "abort") throw new Error("the reloaded model did not complete a generation");
          },
          // Swap only while the slot still serves the engine reloaded (an adoption may have replaced it).
          trial: async () => {
            if (current()?.engine !== engine) superseded.abort(new Error("another generation model was swapped in meanwhile"));
            superseded.signal.throwIfAborted();
          },
        },
      );
      const now = current()?.engine.info.offload;
      p.log(`reloaded ${manifest.name} under the GPU layer cap ${capText}: ${now?.gpuLayers ?? "?"} layers offloaded`);
    } catch (error) {
      if (superseded.signal.aborted) return;
      p.log(`${manifest.name} not reloaded under the GPU layer cap ${capText}: ${(error as Error).message}; it keeps serving with ${offload.gpuLayers} layers offloaded`);
    }
  }

  function check(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await reconcile();
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const unsubscribe = [p.onChange(() => void check()), p.models.onSwap((role) => role === "generation" && void check())];
  return {
    check,
    stop: () => unsubscribe.forEach((u) => u()),
  };
}
