/**
 * `GET /api/plugins`: the contributor plugins this node runs (name, version, package digest,
 * hooks, permissions, state, failures), their declared metrics and dashboard panels (the dApp
 * renders them from /metrics), and the governed required plugins it lacks.
 */
import type { FastifyPluginAsync } from "fastify";
import type { PluginsReport } from "@ns-llm/contracts";

export type PluginRoutesOptions = { report: () => PluginsReport };

export const pluginRoutes: FastifyPluginAsync<PluginRoutesOptions> = async (app, { report }) => {
  app.get("/api/plugins", async () => report());
};
