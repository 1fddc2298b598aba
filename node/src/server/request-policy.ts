/**
 * Who may talk to the node at all, checked before anything else on every route (404s included).
 *
 * - Host: a web page that rebinds its own name to 127.0.0.1 (DNS rebinding) is same-origin with
 *   the node for its browser, but its requests still carry its own name in `Host`. So a request
 *   is answered only when its Host names this machine (localhost, 127.x.x.x, [::1], any port) or
 *   a name the operator allowed (NS_LLM_ALLOWED_HOSTS), or when it carries the API token (a page
 *   cannot know it). Anything else: 403 host_not_allowed.
 * - Origin: a browser says which page sent a request. A request that can change something (any
 *   method but GET, HEAD, OPTIONS) from a page whose origin is not allowed (NS_LLM_CORS_ORIGINS)
 *   is refused with 403 origin_not_allowed, token or not: CORS alone would only hide the answer,
 *   after the request had done its work. Requests without Origin (curl, programs) are not
 *   browsers' and pass. When the node serves the dApp's pages (`sameOrigin`), a page of the node's
 *   own origin (the Origin names the same host and port as the Host, which passed the Host check)
 *   may too: the node served it.
 */
import type { FastifyInstance } from "fastify";
import { isLoopbackHost, tokenCheck } from "./auth.ts";
import { ApiError } from "./errors.ts";

export type RequestPolicy = {
  /** The API token; a request that carries it may use any Host. */
  token?: string | undefined;
  /** Host names (or host:port) answered besides loopback ones (NS_LLM_ALLOWED_HOSTS). */
  allowedHosts?: string[];
  /** Browser origins allowed to send state-changing requests (NS_LLM_CORS_ORIGINS). */
  allowedOrigins?: string[];
  /** Pages of the node's own origin may send them too (the node serves the dApp). */
  sameOrigin?: boolean;
};

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The host name of a Host header ("[::1]:5555" -> "::1", "LocalHost.:80" -> "localhost"). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  const name = h.startsWith("[") ? h.slice(1, h.indexOf("]") > 0 ? h.indexOf("]") : undefined) : h.replace(/:\d*$/, "");
  // "localhost." is the same name, fully qualified.
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/** Whether a Host header names this machine or an allowed name (with or without its port). */
export function hostAllowed(header: string | undefined, allowed: readonly string[] = []): boolean {
  if (!header) return false;
  const name = hostName(header);
  if (name === "" || /[^a-z0-9.:_-]/.test(name)) return false;
  if (isLoopbackHost(name)) return true;
  const full = header.trim().toLowerCase();
  return allowed.some((a) => {
    const entry = a.trim().toLowerCase();
    // An entry with a port allows that host:port only; without, the name on any port.
    const withPort = entry.startsWith("[") ? /\]:\d+$/.test(entry) : /^[^:]+:\d+$/.test(entry);
    return withPort ? entry === full : hostName(entry) === name;
  });
}

/** Whether an Origin header is one of `allowed` (exact, case-insensitive, no trailing slash). */
export function originAllowed(origin: string, allowed: readonly string[] = []): boolean {
  const o = origin.trim().toLowerCase().replace(/\/$/, "");
  return allowed.some((a) => a.trim().toLowerCase().replace(/\/$/, "") === o);
}

const shown = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

/** Whether `origin` is the origin of a page asked for with this Host (http or https, same host and port). */
export function sameOriginAs(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  const o = origin.trim().toLowerCase().replace(/\/$/, "");
  const h = host.trim().toLowerCase();
  return o === `http://${h}` || o === `https://${h}`;
}

/** Adds the checks as the first onRequest hook of `app`: register it before CORS and auth. */
export function registerRequestPolicy(app: FastifyInstance, policy: RequestPolicy): void {
  const withToken = tokenCheck(policy.token);
  const hosts = policy.allowedHosts ?? [];
  const origins = policy.allowedOrigins ?? [];
  app.addHook("onRequest", async (request) => {
    const host = request.headers.host;
    if (!hostAllowed(host, hosts) && !withToken(request)) {
      throw new ApiError(
        403,
        "host_not_allowed",
        `this node does not answer to the host name ${shown(host ?? "")}: use 127.0.0.1 or localhost, send Authorization: Bearer <NS_LLM_API_TOKEN>, or add the name to NS_LLM_ALLOWED_HOSTS`,
      );
    }
    const origin = request.headers.origin;
    const ownPage = policy.sameOrigin === true && hostAllowed(host, hosts) && origin !== undefined && sameOriginAs(origin, host);
    if (origin !== undefined && !SAFE_METHODS.has(request.method) && !originAllowed(origin, origins) && !ownPage) {
      throw new ApiError(403, "origin_not_allowed", `pages from ${shown(origin)} may not change this node; add the origin to NS_LLM_CORS_ORIGINS to allow it`);
    }
  });
}
