/**
 * Bearer-token access. With a token set, admin routes (writes under /api/, or any route whose
 * config says `admin: true`) always need `Authorization: Bearer <token>`; with scope "all" (the
 * node is bound beyond loopback) every route does. CORS preflights pass (they carry no token).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { NsLlmError } from "../errors.ts";
import { ApiError } from "./errors.ts";

export type AuthOptions = { token: string | undefined; scope: "all" | "admin" };

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route changes the node (publishing, anchoring...): it needs the API token when one is set. false: it does not, even under /api/. */
    admin?: boolean;
  }
}

export function isAdminRoute(request: FastifyRequest): boolean {
  // A route's own `admin` decides (true, or false for POSTs under /api/ that change nothing, e.g. Ollama's).
  const admin = request.routeOptions.config?.admin;
  if (admin !== undefined) return admin;
  const url = request.routeOptions.url ?? request.url;
  return url.startsWith("/api/") && request.method !== "GET" && request.method !== "HEAD" && request.method !== "OPTIONS";
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Whether a request carries `Authorization: Bearer <token>`. Compared in constant time over
 * sha256 digests (equal lengths whatever was sent), so the time taken says nothing about how much
 * of a guess was right. Undefined token: never.
 */
export function tokenCheck(token: string | undefined): (request: FastifyRequest) => boolean {
  if (!token) return () => false;
  const expected = digest(token);
  return (request) => {
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "");
    return match !== null && timingSafeEqual(digest(match[1]!.trim()), expected);
  };
}

export function unauthorized(): ApiError {
  return new ApiError(401, "unauthorized", "this route needs Authorization: Bearer <NS_LLM_API_TOKEN>", { "www-authenticate": "Bearer" });
}

/** Adds the check as an onRequest hook on `app` (and every plugin registered after it). */
export function registerAuth(app: FastifyInstance, { token, scope }: AuthOptions): void {
  if (!token) return;
  const valid = tokenCheck(token);
  app.addHook("onRequest", async (request) => {
    if (request.method === "OPTIONS") return;
    if (scope !== "all" && !isAdminRoute(request)) return;
    if (!valid(request)) throw unauthorized();
  });
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || h === "::ffff:127.0.0.1";
}

/** The node refuses to listen beyond loopback without a token. */
export class UnsafeBindError extends NsLlmError<"unsafe_bind"> {
  constructor(host: string) {
    super("unsafe_bind", `refusing to listen on ${host} without an API token`, { hint: "set NS_LLM_API_TOKEN, or NS_LLM_HOST=127.0.0.1" });
  }
}

export function assertSafeBind(host: string, token: string | undefined): void {
  if (!token && !isLoopbackHost(host)) throw new UnsafeBindError(host);
}
