/** GET /health, GET /metrics and GET /api/governance: the node's status, read-only. */
import type { FastifyPluginAsync } from "fastify";
import type { GovernanceResponse, HealthReport } from "@ns-llm/contracts";
import type { NodeMetrics } from "../../metrics.ts";

export type SystemRoutesOptions = {
  health: () => HealthReport;
  governance: () => GovernanceResponse;
  metrics: NodeMetrics;
};

export const systemRoutes: FastifyPluginAsync<SystemRoutesOptions> = async (app, { health, governance, metrics }) => {
  app.get("/health", async () => health());
  app.get("/api/governance", async () => governance());
  app.get("/metrics", async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
