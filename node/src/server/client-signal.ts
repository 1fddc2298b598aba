/** Request helpers the route groups share. */
import type { FastifyReply } from "fastify";
import { ClientGoneError } from "../serving/index.ts";

/** A signal that fires when the client goes away before its answer is complete. */
export function clientSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) controller.abort(new ClientGoneError());
  });
  return controller.signal;
}

/** OpenAI and the native API take `stop` as a string or a list. */
export function stopList(stop: string | string[] | null | undefined): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  return typeof stop === "string" ? [stop] : stop;
}
