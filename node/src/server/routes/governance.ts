/** GET /api/governance: the follower's state (SPEC), or that the node follows no chain. */
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../context.ts";

export function registerGovernanceRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/api/governance", async () => {
    const g = ctx.health.governance;
    if (g) return g.state();
    return {
      enabled: false,
      reason: ctx.health.governanceDisabledReason ?? "not following a chain",
      chainId: null,
      registry: null,
      applied: {},
      history: [],
      lastError: null,
    };
  });
}
