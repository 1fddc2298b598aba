/**
 * Micro-batching of embedding requests: texts of requests that arrive within a short window (or
 * while a batch is running) go to the engine together, up to `maxBatch` texts a call, which is
 * much faster per text than one call each. One batch runs at a time; each batch leases the engine
 * current when it starts, so a swap never drops a request.
 */
import type { EmbeddingEngine, Lease, LoadedManifest } from "../inference/index.ts";
import { UnavailableError } from "./errors.ts";

export type EmbeddingBatchResult = {
  vectors: Float32Array[];
  model: string;
  dimensions: number;
  manifest: LoadedManifest;
};

export type EmbeddingBatcher = {
  /** Embeds `texts` (in order) with the engine current when their batch runs. */
  embed(texts: string[]): Promise<EmbeddingBatchResult>;
  /** Texts waiting for a batch. */
  readonly pending: number;
};

export type CreateEmbeddingBatcherParameters = {
  /** Leases the current engine (ModelSlot.acquire). */
  acquire: () => Lease<EmbeddingEngine> | undefined;
  /**
   * How long the first request of a batch waits for others (ms). Default 0: only requests of the
   * same event-loop turn join it. Requests that arrive while a batch runs form the next batch, so
   * under load batches fill up without a timer; a timer (even 2 ms) cost a lone request 3-8 ms
   * here and gave no better batching (node/bench/api.ts --window).
   */
  windowMs?: number;
  /** Most texts in one engine call. Default 32. */
  maxBatch?: number;
  /** Called after each engine call (for metrics). */
  onBatch?: (texts: number, ms: number) => void;
};

type Item = { texts: string[]; resolve: (r: EmbeddingBatchResult) => void; reject: (e: unknown) => void };

export function createEmbeddingBatcher({ acquire, windowMs = 0, maxBatch = 32, onBatch }: CreateEmbeddingBatcherParameters): EmbeddingBatcher {
  const queue: Item[] = [];
  let queuedTexts = 0;
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let running = false;

  function schedule(): void {
    if (running || queue.length === 0) return;
    if (queuedTexts >= maxBatch) return void flush();
    timer ??= windowMs > 0 ? setTimeout(flush, windowMs) : setImmediate(flush);
  }

  async function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer as NodeJS.Timeout);
      clearImmediate(timer as NodeJS.Immediate);
    }
    timer = undefined;
    if (running || queue.length === 0) return;
    // Whole requests, oldest first, while they fit (the first always goes: it was cut to maxBatch).
    const batch: Item[] = [];
    let size = 0;
    while (queue.length > 0 && (batch.length === 0 || size + queue[0]!.texts.length <= maxBatch)) {
      const item = queue.shift()!;
      size += item.texts.length;
      batch.push(item);
    }
    queuedTexts -= size;
    running = true;
    const lease = acquire();
    try {
      if (!lease) throw new UnavailableError("embedding_unavailable", "no embedding model is loaded");
      const began = performance.now();
      const vectors = await lease.engine.embed(batch.flatMap((i) => i.texts));
      onBatch?.(size, performance.now() - began);
      const { name, dimensions } = lease.engine.info;
      let at = 0;
      for (const item of batch) {
        item.resolve({ vectors: vectors.slice(at, at + item.texts.length), model: name, dimensions, manifest: lease.manifest });
        at += item.texts.length;
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
    } finally {
      lease?.release();
      running = false;
      // What arrived meanwhile has waited long enough: run it now.
      if (queue.length > 0) void flush();
    }
  }

  function enqueue(texts: string[]): Promise<EmbeddingBatchResult> {
    return new Promise((resolve, reject) => {
      queue.push({ texts, resolve, reject });
      queuedTexts += texts.length;
      schedule();
    });
  }

  return {
    get pending() {
      return queuedTexts;
    },
    async embed(texts) {
      if (texts.length <= maxBatch) return enqueue(texts);
      // A large request is cut into full batches; its parts keep their order.
      const parts: Promise<EmbeddingBatchResult>[] = [];
      for (let i = 0; i < texts.length; i += maxBatch) parts.push(enqueue(texts.slice(i, i + maxBatch)));
      const results = await Promise.all(parts);
      return { ...results[0]!, vectors: results.flatMap((r) => r.vectors) };
    },
  };
}
