/**
 * The NS-LLM node in one process: model slots and engines, the scheduler, the local search, the
 * HTTP API. `startNode` wires them and listens; `close()` stops accepting, lets running work finish
 * within a bound, cancels the rest and frees the models.
 *
 * The parts other helpers build plug in through `options`: the governance follower (`governance`,
 * a status provider for /health and /api/governance; it swaps models through `slots` or
 * `loadGeneration`/`loadEmbedding`), the audit log (`audit`, whose `append` gives every answer
 * its seq), and route plugins (`plugins`: audit routes, manifest routes).
 */
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Config } from "./config.ts";
import { ensureDemoModels } from "./demo-models.ts";
import { createEmbeddingBatcher, type EmbeddingBatcher } from "./inference/embedding-batcher.ts";
import { assertMemoryFor } from "./inference/memory-check.ts";
import { ModelSlot, type LoadedManifest } from "./inference/model-slot.ts";
import { createScheduler, type Scheduler, type SchedulerLimits } from "./inference/scheduler.ts";
import type { EmbeddingEngine, GenerationEngine } from "./inference/types.ts";
import { createSearchIndex, loadDocuments, type SearchIndex } from "./search/index.ts";
import {
  createMetrics,
  createServer,
  isLoopbackHost,
  listen,
  type AuditSink,
  type GovernanceStatusProvider,
  type GovernedParameters,
  type HealthProviders,
  type NodeMetrics,
  type ServerPlugin,
} from "./server/index.ts";

export type GenerationModelSpec = { modelPath: string; name?: string; manifest?: Partial<LoadedManifest> };
export type EmbeddingModelSpec = { model: string; tokenizer?: string; name?: string; manifest?: Partial<LoadedManifest> };

/**
 * `smokeTest` runs on the new engine before it replaces the current one; a failure disposes it.
 * `signal` abandons the load (the governance follower moved on): the engine is disposed, not swapped in.
 */
export type LoadOptions<E> = { smokeTest?: (engine: E) => Promise<void>; signal?: AbortSignal };

export type StartNodeOptions = {
  /** Serve the generated demo models (written into `<home>/demo` on first use). */
  demo?: boolean;
  /** false = `--no-chain`: no follower, /health says governance is disabled. */
  chain?: boolean;
  /** Models to load at start (besides, or instead of, the demo ones). */
  generation?: GenerationModelSpec;
  embedding?: EmbeddingModelSpec;
  /** The governance follower's status (the integrator's hook). */
  governance?: GovernanceStatusProvider;
  /** The audit log: `append` for every answer, `health` for /health. */
  audit?: AuditSink & { health?: HealthProviders["audit"] };
  ipfs?: HealthProviders["ipfs"];
  /**
   * Runs after the initial models are loaded and before the node listens, with the loaders: the
   * governance follower restores the models it applied before here, so a restarted node answers
   * with them from its first request on.
   */
  beforeListen?: (loaders: Pick<NodeHandle, "loadGeneration" | "loadEmbedding">) => Promise<void>;
  /** Route plugins of other parts (auditRoutes, manifestRoutes, ...). */
  plugins?: ServerPlugin[];
  /** Governed defaults and caps (the `parameters` manifest). */
  parameters?: () => GovernedParameters;
  scheduler?: Partial<SchedulerLimits>;
  /** Micro-batching window of embedding requests (ms); default 0 = requests of the same event-loop turn, and those that arrive while a batch runs. */
  embedBatchWindowMs?: number;
  /** Sequences of the generation context (generations at once). Default 4. */
  sequences?: number;
  contextSize?: number;
  /** Free memory needed = model files x this. Default 1.5. */
  memoryFactor?: number;
  /** Files and folders of the search corpus; default node/docs, README.md, manifests/. */
  corpus?: string[];
  /** How long close() lets running generations finish before cancelling them (ms). Default 5000. */
  shutdownGraceMs?: number;
  logger?: boolean | { level: string };
};

export type NodeHandle = {
  url: string;
  app: FastifyInstance;
  slots: { generation: ModelSlot<GenerationEngine>; embedding: ModelSlot<EmbeddingEngine> };
  scheduler: Scheduler;
  embedder: EmbeddingBatcher;
  search: SearchIndex;
  metrics: NodeMetrics;
  /** Loads a model (after the memory check) and swaps it in; running requests finish on the old one. */
  loadGeneration(spec: GenerationModelSpec, options?: LoadOptions<GenerationEngine>): Promise<void>;
  loadEmbedding(spec: EmbeddingModelSpec, options?: LoadOptions<EmbeddingEngine>): Promise<void>;
  close(): Promise<void>;
};

export async function startNode(config: Config, options: StartNodeOptions = {}): Promise<NodeHandle> {
  const metrics = createMetrics();
  const loadErrors: { generation?: string; embedding?: string } = {};
  const generation = new ModelSlot<GenerationEngine>();
  const embedding = new ModelSlot<EmbeddingEngine>();
  const scheduler = createScheduler({
    ...(options.scheduler ? { limits: options.scheduler } : {}),
    capacity: () => {
      const lease = generation.acquire();
      lease?.release();
      return lease?.engine.capacity ?? 1;
    },
  });
  const embedder = createEmbeddingBatcher({
    acquire: () => embedding.acquire(),
    ...(options.embedBatchWindowMs !== undefined ? { windowMs: options.embedBatchWindowMs } : {}),
    onBatch: (n) => metrics.embeddingBatchSize.observe(n),
  });

  async function loadGeneration(spec: GenerationModelSpec, load: LoadOptions<GenerationEngine> = {}): Promise<void> {
    const name = spec.name ?? spec.manifest?.name ?? path.basename(spec.modelPath).replace(/\.gguf$/i, "");
    try {
      load.signal?.throwIfAborted();
      await assertMemoryFor({ files: [spec.modelPath], factor: options.memoryFactor ?? 1.5, what: `the generation model ${name}` });
      const { createGenerationEngine } = await import("./inference/generation/index.ts");
      const engine = await createGenerationEngine({
        modelPath: spec.modelPath,
        name,
        threads: config.threads,
        sequences: options.sequences ?? 4,
        ...(options.contextSize ? { contextSize: options.contextSize } : {}),
        ...(load.signal ? { signal: load.signal } : {}),
      });
      await verifyOrDispose(engine, load);
      generation.swap(engine, manifestOf(spec.manifest, name));
      delete loadErrors.generation;
      metrics.swaps.inc({ role: "generation" });
      scheduler.pump();
    } catch (error) {
      // An abandoned load is no fault of the model.
      if (!load.signal?.aborted) loadErrors.generation = (error as Error).message;
      throw error;
    }
  }

  async function loadEmbedding(spec: EmbeddingModelSpec, load: LoadOptions<EmbeddingEngine> = {}): Promise<void> {
    const name = spec.name ?? spec.manifest?.name ?? path.basename(spec.model).replace(/\.onnx$/i, "");
    try {
      load.signal?.throwIfAborted();
      const files = spec.tokenizer ? [spec.model, spec.tokenizer] : [spec.model];
      await assertMemoryFor({ files, factor: options.memoryFactor ?? 1.5, what: `the embedding model ${name}` });
      const { createEmbeddingEngine } = await import("./inference/embedding/index.ts");
      const engine = await createEmbeddingEngine({ model: spec.model, ...(spec.tokenizer ? { tokenizer: spec.tokenizer } : {}), name, threads: 1 });
      await verifyOrDispose(engine, load);
      embedding.swap(engine, manifestOf(spec.manifest, name));
      delete loadErrors.embedding;
      metrics.swaps.inc({ role: "embedding" });
    } catch (error) {
      if (!load.signal?.aborted) loadErrors.embedding = (error as Error).message;
      throw error;
    }
  }

  // Models first, so the node answers with them as soon as it says it listens. A model that fails
  // to load leaves its role empty: the node serves degraded (search) and /health says why.
  const demo = options.demo ? await ensureDemoModels(path.join(config.home, "demo")) : undefined;
  const generationSpec = options.generation ?? demo?.generation;
  const embeddingSpec = options.embedding ?? demo?.embedding;
  await Promise.all([
    generationSpec ? loadGeneration(generationSpec).catch(() => {}) : undefined,
    embeddingSpec ? loadEmbedding(embeddingSpec).catch(() => {}) : undefined,
  ]);
  await options.beforeListen?.({ loadGeneration, loadEmbedding });

  const search = createSearchIndex(await loadDocuments(options.corpus), {
    embed: async (texts) => (await embedder.embed(texts)).vectors,
    embedModel: () => {
      const m = embedding.manifest;
      return m ? `${m.name}@${m.cid ?? ""}` : undefined;
    },
  });

  const health: HealthProviders = {
    loadErrors: () => ({ ...loadErrors }),
    ...(options.governance ? { governance: options.governance } : {}),
    governanceDisabledReason:
      options.chain === false ? "disabled (--no-chain)" : "the governance follower is not running in this node",
    ...(options.ipfs ? { ipfs: options.ipfs } : {}),
    ...(options.audit?.health ? { audit: options.audit.health } : {}),
  };
  const { app } = await createServer({
    generation,
    embedding,
    scheduler,
    embedder,
    search,
    metrics,
    health,
    auth: { token: config.apiToken, scope: isLoopbackHost(config.host) ? "admin" : "all" },
    corsOrigins: config.corsOrigins,
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.parameters ? { parameters: options.parameters } : {}),
    ...(options.plugins ? { plugins: options.plugins } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });

  let url: string;
  try {
    url = await listen(app, { host: config.host, port: config.port, token: config.apiToken });
  } catch (error) {
    await app.close();
    await Promise.all([generation.close(), embedding.close()]);
    throw error;
  }

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing ??= (async () => {
      const grace = options.shutdownGraceMs ?? 5000;
      const stopped = app.close(); // stops accepting; waits for requests in flight
      scheduler.close(); // waiting requests get 503 shutting_down
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([scheduler.idle(), new Promise((r) => (timer = setTimeout(r, grace)))]);
      clearTimeout(timer);
      scheduler.abortRunning(); // what is still running is cancelled (streams get their final event)
      // Connections that finished their answer stay open as idle keep-alives: close them as they
      // become idle, and everything after a second more.
      const idle = setInterval(() => app.server.closeIdleConnections(), 25);
      const forced = setTimeout(() => app.server.closeAllConnections(), 1000);
      await stopped;
      clearInterval(idle);
      clearTimeout(forced);
      await Promise.all([generation.close(), embedding.close()]);
    })();
    return closing;
  }

  return { url, app, slots: { generation, embedding }, scheduler, embedder, search, metrics, loadGeneration, loadEmbedding, close };
}

function manifestOf(given: Partial<LoadedManifest> | undefined, name: string): LoadedManifest {
  return { cid: given?.cid, name: given?.name ?? name, version: given?.version, digest: given?.digest };
}

/** Runs `smokeTest` on a freshly loaded engine; frees the engine when it fails, then rethrows. */
/** Runs the smoke test, and disposes the engine when it fails or when the load was abandoned meanwhile. */
async function verifyOrDispose<E extends { dispose(): Promise<void> }>(engine: E, { smokeTest, signal }: LoadOptions<E>): Promise<void> {
  try {
    await smokeTest?.(engine);
    signal?.throwIfAborted();
  } catch (error) {
    await engine.dispose().catch(() => {});
    throw error;
  }
}
