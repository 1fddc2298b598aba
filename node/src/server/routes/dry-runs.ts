/**
 * `GET /api/dry-runs`: this node's proposal dry-runs (issue 16): which proposals it evaluated,
 * the verdicts, the reports' CIDs and digests and the transactions that recorded them.
 */
import type { FastifyPluginAsync } from "fastify";
import type { DryRunStatus } from "@ns-llm/contracts";

export type DryRunRoutesOptions = { status: () => DryRunStatus };

export const dryRunRoutes: FastifyPluginAsync<DryRunRoutesOptions> = async (app, { status }) => {
  app.get("/api/dry-runs", async () => status());
};
