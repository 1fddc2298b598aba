/**
 * 404 for unknown paths and 405 (with Allow) for a known path asked with the wrong method. Routes
 * are collected as they are added (plugins included), so the check covers every route. With
 * `pages` (the node serves the dApp), a GET or HEAD of any other path outside `/api/` and `/v1/`
 * goes to it instead of a 404.
 */
import type { FastifyInstance } from "fastify";
import { ApiError } from "./errors.ts";
import { isApiPath, type PageHandler } from "./page-proxy.ts";

export function registerRoutingErrors(app: FastifyInstance, pages?: PageHandler): void {
  const routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  app.addHook("onRoute", (route) => {
    if (route.url.includes("*")) return; // catch-alls (CORS preflight) are not resources
    const source = `^${route.url.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:[^/]+/g, "[^/]+")}/?$`;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    let entry = routes.find((r) => r.pattern.source === source);
    if (!entry) routes.push((entry = { pattern: new RegExp(source), methods: new Set() }));
    for (const m of methods) entry.methods.add(m);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split("?")[0]!;
    const allowed = new Set<string>();
    for (const r of routes) if (r.pattern.test(path)) for (const m of r.methods) allowed.add(m);
    if (allowed.size > 0) {
      throw new ApiError(405, "method_not_allowed", `${request.method} is not allowed on ${path}; use ${[...allowed].join(", ")}`, {
        allow: [...allowed].join(", "),
      });
    }
    if (pages && (request.method === "GET" || request.method === "HEAD") && !isApiPath(path)) return pages(request, reply);
    throw new ApiError(404, "not_found", `no route ${request.method} ${path}`);
  });
}
