/** GET /health and GET /metrics. */
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.ts";
import { healthReport } from "../health.ts";

export function registerSystemRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/health", async () =>
    healthReport({ generation: ctx.generationSlot, embedding: ctx.embeddingSlot, scheduler: ctx.scheduler, providers: ctx.health }),
  );

  app.get("/metrics", async (_request, reply) => {
    ctx.metrics.queueDepth.set(ctx.scheduler.stats().queued);
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
