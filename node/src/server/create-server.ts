/**
 * The node's HTTP API on fastify: native routes, OpenAI-compatible routes, SSE, JSON errors,
 * bearer auth, CORS allow-list, Prometheus metrics. Other parts (audit, IPFS, governance) add
 * their routes as plugins, which inherit the auth, the error format and the 404/405 handling.
 */
import cors from "@fastify/cors";
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyPluginCallback, type FastifyServerOptions } from "fastify";
import { createEmbeddingBatcher, type EmbeddingBatcher } from "../inference/embedding-batcher.ts";
import type { ModelSlot } from "../inference/model-slot.ts";
import type { Scheduler } from "../inference/scheduler.ts";
import type { EmbeddingEngine, GenerationEngine } from "../inference/types.ts";
import type { SearchIndex } from "../search/index.ts";
import { registerAuth, type AuthOptions } from "./auth.ts";
import type { RouteContext } from "./context.ts";
import { observeRequests } from "./observe-requests.ts";
import { sendError } from "./errors.ts";
import { createGenerationService, type GovernedParameters } from "./generation-service.ts";
import type { HealthProviders } from "./health.ts";
import { createMetrics, type NodeMetrics } from "./metrics.ts";
import type { AuditSink } from "./provenance.ts";
import { registerRoutingErrors } from "./routing-errors.ts";
import { registerGovernanceRoutes } from "./routes/governance.ts";
import { registerNativeRoutes } from "./routes/native.ts";
import { registerOpenAiRoutes } from "./routes/openai.ts";
import { registerSystemRoutes } from "./routes/system.ts";

/** 1 MiB: larger bodies get 413. */
export const BODY_LIMIT = 1024 * 1024;

// Plugins of any options shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPlugin = FastifyPluginAsync<any> | FastifyPluginCallback<any>;

export type ServerPlugin = AnyPlugin | { plugin: AnyPlugin; options?: Record<string, unknown> };

export type CreateServerDependencies = {
  generation: ModelSlot<GenerationEngine>;
  embedding: ModelSlot<EmbeddingEngine>;
  scheduler: Scheduler;
  /** Default: a micro-batcher over `embedding`. */
  embedder?: EmbeddingBatcher;
  /** Answers when no generation model can (degraded mode). */
  search?: SearchIndex;
  /** Default: a fresh registry with process metrics. */
  metrics?: NodeMetrics;
  /** The audit log; every answer appends an entry and carries its seq. */
  audit?: AuditSink;
  /** Governed defaults and caps (the `parameters` manifest). */
  parameters?: () => GovernedParameters;
  /** Reporters for /health and /api/governance (follower, IPFS, audit log, load errors). */
  health?: HealthProviders;
  /** Default: no token. */
  auth?: AuthOptions;
  /** Browser origins allowed (NS_LLM_CORS_ORIGINS). */
  corsOrigins?: string[];
  /** Routes of other parts: `auditRoutes`, `manifestRoutes`, ... */
  plugins?: ServerPlugin[];
  logger?: FastifyServerOptions["logger"];
};

export type CreateServerReturnType = { app: FastifyInstance; context: RouteContext };

export async function createServer(deps: CreateServerDependencies): Promise<CreateServerReturnType> {
  const metrics = deps.metrics ?? createMetrics();
  const embedder =
    deps.embedder ??
    createEmbeddingBatcher({
      acquire: () => deps.embedding.acquire(),
      onBatch: (n) => metrics.embeddingBatchSize.observe(n),
    });
  const context: RouteContext = {
    generationSlot: deps.generation,
    embeddingSlot: deps.embedding,
    scheduler: deps.scheduler,
    generation: createGenerationService({
      slot: deps.generation,
      scheduler: deps.scheduler,
      search: deps.search,
      metrics,
      ...(deps.parameters ? { parameters: deps.parameters } : {}),
    }),
    embedder,
    search: deps.search,
    metrics,
    audit: deps.audit,
    parameters: deps.parameters,
    health: { searchDocuments: () => deps.search?.size ?? 0, ...deps.health },
  };

  const app = Fastify({ bodyLimit: BODY_LIMIT, logger: deps.logger ?? false, return503OnClosing: true, forceCloseConnections: "idle" });

  app.setErrorHandler((error, request, reply) => sendError(reply, request, error));
  registerRoutingErrors(app);
  // Request counts and latencies by route pattern and status, streams included.
  observeRequests(app, ({ request, route = "unmatched", status, seconds }) => {
    metrics.requests.inc({ route, method: request.method, status });
    metrics.requestSeconds.observe({ route, method: request.method }, seconds);
  });
  await app.register(cors, {
    origin: deps.corsOrigins ?? [],
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["content-type", "authorization"],
    exposedHeaders: ["x-ns-llm-model", "x-ns-llm-manifest", "x-ns-llm-audit-seq", "x-ns-llm-source", "retry-after"],
    maxAge: 600,
  });
  registerAuth(app, deps.auth ?? { token: undefined, scope: "admin" });

  registerSystemRoutes(app, context);
  registerNativeRoutes(app, context);
  registerOpenAiRoutes(app, context);
  if (!(deps.plugins ?? []).some((p) => pluginName(p) === "governanceRoutes")) registerGovernanceRoutes(app, context);
  for (const p of deps.plugins ?? []) {
    if (typeof p === "function") await app.register(p);
    else await app.register(p.plugin, p.options ?? {});
  }
  await app.ready();
  return { app, context };
}

function pluginName(p: ServerPlugin): string {
  return (typeof p === "function" ? p : p.plugin).name;
}
