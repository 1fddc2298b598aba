/**
 * Micro-batching of embedding requests, under admission control: texts of requests that arrive
 * within a short window (or while a batch is running) go to the engine together, up to `maxBatch`
 * texts a call, which is much faster per text than one call each. One batch runs at a time.
 *
 * Admission works as for generation: at most `maxQueue` requests wait (one more is refused at once
 * with QueueFullError, 429), each has a deadline (`timeoutMs`, waiting included) and is dropped
 * from the queue when its caller aborts (the client went away). The limits are read at each
 * decision, so governed changes apply to the next request and the next batch.
 *
 * One engine lease per request: a request leases the engine current when it is admitted and every
 * part of it (a large request is cut into batches) runs on that engine, and a batch only joins
 * parts of one engine. A model swap in the middle of a large request therefore never mixes two
 * models' vectors under one name; the old engine is disposed once its last request is done.
 */
import type { EmbeddingEngine, Lease, LoadedManifest } from "../inference/index.ts";
import { UnavailableError } from "./errors.ts";
import { QueueFullError, RequestTimeoutError } from "./scheduler.ts";

export type EmbeddingBatchResult = {
  vectors: Float32Array[];
  model: string;
  dimensions: number;
  manifest: LoadedManifest;
};

export type EmbeddingLimits = {
  /** Most texts in one engine call. */
  maxBatch: number;
  /** Requests allowed to wait; one more is refused. */
  maxQueue: number;
  /** Deadline of one request, waiting included (ms). */
  timeoutMs: number;
};

export type EmbeddingBatcher = {
  /**
   * Embeds `texts` (in order) with the engine current when the request is admitted. Rejects with
   * QueueFullError when too many requests wait, RequestTimeoutError past the deadline,
   * `signal.reason` when the caller aborts, UnavailableError when no engine is loaded.
   */
  embed(texts: string[], options?: { signal?: AbortSignal }): Promise<EmbeddingBatchResult>;
  /** Texts waiting for a batch. */
  readonly pending: number;
  /** Requests waiting (admitted, not all of their texts embedded yet). */
  readonly waiting: number;
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
  /** The limits in force (read at every decision); default 32 texts a batch, 1024 waiting, 120 s. */
  limits?: () => Partial<EmbeddingLimits>;
  /** Called after each engine call (for metrics). */
  onBatch?: (texts: number, ms: number) => void;
};

const DEFAULT_LIMITS: EmbeddingLimits = { maxBatch: 32, maxQueue: 1024, timeoutMs: 120_000 };

/** One request: its lease, its texts' vectors as they come, how many of its parts are in the engine now. */
type Job = {
  lease: Lease<EmbeddingEngine>;
  vectors: Float32Array[][];
  partsLeft: number;
  inEngine: number;
  settled: boolean;
  resolve: (r: EmbeddingBatchResult) => void;
  reject: (e: unknown) => void;
  done: () => void;
};

type Part = { job: Job; index: number; texts: string[] };

export function createEmbeddingBatcher({ acquire, windowMs = 0, limits = () => ({}), onBatch }: CreateEmbeddingBatcherParameters): EmbeddingBatcher {
  const current = (): EmbeddingLimits => ({ ...DEFAULT_LIMITS, ...limits() });
  let queue: Part[] = [];
  const jobs = new Set<Job>();
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let running = false;

  const queuedTexts = () => queue.reduce((n, p) => n + p.texts.length, 0);

  function schedule(): void {
    if (running || queue.length === 0) return;
    if (queuedTexts() >= current().maxBatch) return void flush();
    timer ??= windowMs > 0 ? setTimeout(flush, windowMs) : setImmediate(flush);
  }

  /** Ends `job` once: its lease goes back when no part of it is in the engine any more. */
  function settle(job: Job, outcome: { value: EmbeddingBatchResult } | { error: unknown }): void {
    if (job.settled) return;
    job.settled = true;
    jobs.delete(job);
    job.done();
    queue = queue.filter((p) => p.job !== job);
    if (job.inEngine === 0) job.lease.release();
    if ("value" in outcome) job.resolve(outcome.value);
    else job.reject(outcome.error);
  }

  async function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer as NodeJS.Timeout);
      clearImmediate(timer as NodeJS.Immediate);
    }
    timer = undefined;
    if (running || queue.length === 0) return;
    // Parts of one engine only, oldest first, while they fit (the first always goes: parts are cut to maxBatch).
    const { maxBatch } = current();
    const engine = queue[0]!.job.lease.engine;
    const batch: Part[] = [];
    let size = 0;
    for (const part of queue) {
      if (part.job.lease.engine !== engine) continue;
      if (batch.length > 0 && size + part.texts.length > maxBatch) break;
      batch.push(part);
      size += part.texts.length;
    }
    queue = queue.filter((p) => !batch.includes(p));
    running = true;
    for (const part of batch) part.job.inEngine++;
    try {
      const began = performance.now();
      const vectors = await engine.embed(batch.flatMap((p) => p.texts));
      onBatch?.(size, performance.now() - began);
      let at = 0;
      for (const part of batch) {
        part.job.vectors[part.index] = vectors.slice(at, at + part.texts.length);
        at += part.texts.length;
        part.job.partsLeft--;
      }
    } catch (error) {
      for (const part of batch) settle(part.job, { error });
    } finally {
      for (const { job } of batch) {
        job.inEngine--;
        if (job.settled && job.inEngine === 0) job.lease.release();
        else if (!job.settled && job.partsLeft === 0) {
          const { name, dimensions } = job.lease.engine.info;
          settle(job, { value: { vectors: job.vectors.flat(), model: name, dimensions, manifest: job.lease.manifest } });
        }
      }
      running = false;
      // What arrived meanwhile has waited long enough: run it now.
      if (queue.length > 0) void flush();
    }
  }

  return {
    get pending() {
      return queuedTexts();
    },
    get waiting() {
      return jobs.size;
    },
    embed(texts, { signal } = {}) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const { maxBatch, maxQueue, timeoutMs } = current();
      // Requests waiting beyond the one being embedded now.
      const waitingNow = [...jobs].filter((j) => j.inEngine === 0).length;
      if (waitingNow >= maxQueue && (running || jobs.size > 0)) return Promise.reject(new QueueFullError(1, "embedding"));
      const lease = acquire();
      if (!lease) return Promise.reject(new UnavailableError("embedding_unavailable", "no embedding model is loaded"));
      return new Promise<EmbeddingBatchResult>((resolve, reject) => {
        const parts = Math.max(1, Math.ceil(texts.length / maxBatch));
        const onAbort = () => settle(job, { error: signal!.reason });
        const deadline = setTimeout(() => settle(job, { error: new RequestTimeoutError(timeoutMs) }), timeoutMs);
        const job: Job = {
          lease,
          vectors: new Array(parts),
          partsLeft: parts,
          inEngine: 0,
          settled: false,
          resolve,
          reject,
          done: () => {
            clearTimeout(deadline);
            signal?.removeEventListener("abort", onAbort);
          },
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        jobs.add(job);
        // A large request is cut into full batches; its parts keep their order.
        for (let i = 0; i < parts; i++) queue.push({ job, index: i, texts: texts.slice(i * maxBatch, (i + 1) * maxBatch) });
        schedule();
      });
    },
  };
}
