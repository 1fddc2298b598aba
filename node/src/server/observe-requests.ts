import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export type RequestObservation = {
  request: FastifyRequest;
  reply: FastifyReply;
  /** The matched route pattern, undefined when no route matched. */
  route: string | undefined;
  /** The status sent, or "499" when the client went away before the answer was complete. */
  status: string;
  seconds: number;
};

/**
 * Calls `record` once per request, when its response is finished on the socket: not in
 * fastify's onResponse, which it skips for hijacked (streamed) replies. Register it first so
 * refused requests count too.
 */
export function observeRequests(app: FastifyInstance, record: (observation: RequestObservation) => void): void {
  app.addHook("onRequest", async (request, reply) => {
    const began = performance.now();
    let recorded = false;
    const once = (status: string) => {
      if (recorded) return;
      recorded = true;
      record({ request, reply, route: request.routeOptions.url, status, seconds: (performance.now() - began) / 1000 });
    };
    reply.raw.once("finish", () => once(String(reply.raw.statusCode)));
    reply.raw.once("close", () => once("499"));
  });
}
