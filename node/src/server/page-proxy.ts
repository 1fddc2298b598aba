/**
 * Page requests the API does not answer (GET and HEAD outside its routes, `/api/` and `/v1/`) go
 * to the dApp's server when the node serves one (app/ wires it to dapp/): forwarded as they came,
 * Host included (the dApp decides from it whether a page may carry the node's token), and the
 * answer streamed back as it comes. The request already passed the node's Host and Origin checks.
 */
import http from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ApiError } from "./errors.ts";

/** Where the pages are served; starts their server on first use, throws when it cannot. */
export type PageTarget = () => Promise<{ host: string; port: number }>;

/** Handles a request the API has no route for; registered by registerRoutingErrors. */
export type PageHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "upgrade", "te", "trailer", "transfer-encoding", "proxy-authorization"]);

/** Paths that are the API's, answered or refused by the node itself, never forwarded. */
export function isApiPath(path: string): boolean {
  return /^\/(?:api|v1)(?:\/|$)/.test(path);
}

export function pageProxy(target: PageTarget): PageHandler {
  return async (request, reply) => {
    const to = await target();
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) if (!HOP_BY_HOP.has(name) && name !== "authorization" && value !== undefined) headers[name] = value;
    const answer = await new Promise<http.IncomingMessage>((resolve, reject) => {
      // A fresh loopback connection per request: a kept-alive one the server is closing would fail it.
      const upstream = http.request({ ...to, method: request.method, path: request.url, headers, agent: false }, resolve);
      upstream.once("error", reject);
      // The client went away: stop the page's rendering too.
      reply.raw.once("close", () => {
        if (!reply.raw.writableFinished) upstream.destroy();
      });
      upstream.end();
    }).catch((error: Error) => {
      throw new ApiError(503, "dapp_unavailable", `the dApp server did not answer: ${error.message} (try again; the node's log says more)`);
    });
    reply.code(answer.statusCode ?? 502);
    for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) reply.header(name, value);
    return reply.send(answer);
  };
}
