/**
 * The node's HTTP API on fastify: the Host and Origin policy, JSON errors, 404/405, bearer auth,
 * the CORS allow-list, request metrics, HTTP limits, and the route groups, each a fastify plugin that receives what it serves in its
 * options. HTTP only: the routes translate requests to calls of the serving layer and its answers
 * and domain errors back to HTTP.
 */
import cors from "@fastify/cors";
import { PROVENANCE_HEADERS } from "@ns-llm/contracts";
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyPluginCallback, type FastifyServerOptions } from "fastify";
import type { NodeMetrics } from "../metrics.ts";
import { registerAuth, type AuthOptions } from "./auth.ts";
import { clientErrorHandler } from "./client-errors.ts";
import { frameworkErrors, sendError } from "./errors.ts";
import { limitConnections, limitedServerOptions, type HttpLimits } from "./limits.ts";
import { observeRequests } from "./observe-requests.ts";
import { registerRequestPolicy } from "./request-policy.ts";
import type { PageHandler } from "./page-proxy.ts";
import { registerRoutingErrors } from "./routing-errors.ts";

export { BODY_LIMIT } from "./limits.ts";

// Plugins of any options shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPlugin = FastifyPluginAsync<any> | FastifyPluginCallback<any>;

/** A route group: a plugin, and the options it is registered with (its dependencies). */
export type ServerPlugin = AnyPlugin | { plugin: AnyPlugin; options?: object };

export type CreateServerParameters = {
  metrics: NodeMetrics;
  /** Default: no token. */
  auth?: AuthOptions;
  /** Browser origins allowed (NS_LLM_CORS_ORIGINS): CORS, and the Origin check of state-changing requests. */
  corsOrigins?: string[];
  /** Host names answered besides loopback ones (NS_LLM_ALLOWED_HOSTS). */
  allowedHosts?: string[];
  /** HTTP limits other than the defaults (tests). */
  limits?: Partial<HttpLimits>;
  /**
   * The dApp's pages (pageProxy): GET and HEAD outside the API's routes go there, not to a 404;
   * and a page of the node's own origin may send state-changing requests to the API.
   */
  pages?: PageHandler;
  /** The route groups, registered in order after auth. */
  routes: ServerPlugin[];
  logger?: FastifyServerOptions["logger"];
};

export async function createServer({ metrics, auth, corsOrigins, allowedHosts, limits, pages, routes, logger }: CreateServerParameters): Promise<FastifyInstance> {
  const app = Fastify({ ...limitedServerOptions(limits), logger: logger ?? false, return503OnClosing: true, forceCloseConnections: "idle", frameworkErrors, clientErrorHandler });
  limitConnections(app, limits);

  app.setErrorHandler((error, request, reply) => sendError(reply, request, error));
  registerRoutingErrors(app, pages);
  // Request counts and latencies by route pattern and status, streams included.
  observeRequests(app, ({ request, route = "unmatched", status, seconds }) => {
    metrics.requests.inc({ route, method: request.method, status });
    metrics.requestSeconds.observe({ route, method: request.method }, seconds);
  });
  // Before CORS and auth: a foreign Host or Origin gets no further (preflights included).
  registerRequestPolicy(app, { token: auth?.token, allowedHosts: allowedHosts ?? [], allowedOrigins: corsOrigins ?? [], sameOrigin: pages !== undefined });
  await app.register(cors, {
    origin: corsOrigins ?? [],
    // An OPTIONS request that is not a well-formed preflight gets the plain preflight answer
    // (204), not the plugin's text/plain 400 (not the API's error shape; found by the fuzz test).
    strictPreflight: false,
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
