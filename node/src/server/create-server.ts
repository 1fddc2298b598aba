/**
 * The node's HTTP API on fastify: JSON errors, 404/405, bearer auth, the CORS allow-list, request
 * metrics, and the route groups, each a fastify plugin that receives what it serves in its
 * options. HTTP only: the routes translate requests to calls of the serving layer and its answers
 * and domain errors back to HTTP.
 */
import cors from "@fastify/cors";
import { PROVENANCE_HEADERS } from "@ns-llm/contracts";
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyPluginCallback, type FastifyServerOptions } from "fastify";
import type { NodeMetrics } from "../metrics.ts";
import { registerAuth, type AuthOptions } from "./auth.ts";
import { sendError } from "./errors.ts";
import { observeRequests } from "./observe-requests.ts";
import { registerRoutingErrors } from "./routing-errors.ts";

/** 1 MiB: larger bodies get 413. */
export const BODY_LIMIT = 1024 * 1024;

// Plugins of any options shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPlugin = FastifyPluginAsync<any> | FastifyPluginCallback<any>;

/** A route group: a plugin, and the options it is registered with (its dependencies). */
export type ServerPlugin = AnyPlugin | { plugin: AnyPlugin; options?: object };

export type CreateServerParameters = {
  metrics: NodeMetrics;
  /** Default: no token. */
  auth?: AuthOptions;
  /** Browser origins allowed (NS_LLM_CORS_ORIGINS). */
  corsOrigins?: string[];
  /** The route groups, registered in order after auth. */
  routes: ServerPlugin[];
  logger?: FastifyServerOptions["logger"];
};

export async function createServer({ metrics, auth, corsOrigins, routes, logger }: CreateServerParameters): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: BODY_LIMIT, logger: logger ?? false, return503OnClosing: true, forceCloseConnections: "idle" });

  app.setErrorHandler((error, request, reply) => sendError(reply, request, error));
  registerRoutingErrors(app);
  // Request counts and latencies by route pattern and status, streams included.
  observeRequests(app, ({ request, route = "unmatched", status, seconds }) => {
    metrics.requests.inc({ route, method: request.method, status });
    metrics.requestSeconds.observe({ route, method: request.method }, seconds);
  });
  await app.register(cors, {
    origin: corsOrigins ?? [],
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["content-type", "authorization"],
    exposedHeaders: [...Object.values(PROVENANCE_HEADERS), "retry-after"],
    maxAge: 600,
  });
  registerAuth(app, auth ?? { token: undefined, scope: "admin" });
  for (const route of routes) {
    if (typeof route === "function") await app.register(route);
    else await app.register(route.plugin, route.options ?? {});
  }
  await app.ready();
  return app;
}
