/** What the routes share: the engines' slots, the scheduler, the services and the reporters. */
import type { FastifyReply } from "fastify";
import type { EmbeddingBatcher } from "../inference/embedding-batcher.ts";
import type { ModelSlot } from "../inference/model-slot.ts";
import { ClientGoneError, type Scheduler } from "../inference/scheduler.ts";
import type { EmbeddingEngine, GenerationEngine } from "../inference/types.ts";
import type { SearchIndex } from "../search/index.ts";
import type { GenerationService, GovernedParameters } from "./generation-service.ts";
import type { HealthProviders } from "./health.ts";
import type { NodeMetrics } from "./metrics.ts";
import type { AuditSink } from "./provenance.ts";

export type RouteContext = {
  generationSlot: ModelSlot<GenerationEngine>;
  embeddingSlot: ModelSlot<EmbeddingEngine>;
  scheduler: Scheduler;
  generation: GenerationService;
  embedder: EmbeddingBatcher;
  search: SearchIndex | undefined;
  metrics: NodeMetrics;
  audit: AuditSink | undefined;
  parameters: (() => GovernedParameters) | undefined;
  health: HealthProviders;
};

/** A signal that fires when the client goes away before its answer is complete. */
export function clientSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) controller.abort(new ClientGoneError());
  });
  return controller.signal;
}

/** OpenAI and the native API take `stop` as a string or a list. */
export function stopList(stop: string | string[] | null | undefined): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  return typeof stop === "string" ? [stop] : stop;
}
