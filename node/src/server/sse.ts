/**
 * Server-Sent Events on a hijacked fastify reply. Headers go out with the first event, so that
 * what is only known once generation starts (the model, or that the answer comes from search) can
 * still be a header; an error before that is an ordinary JSON error response.
 */
import type { FastifyReply } from "fastify";
import { errorBody, toApiError } from "./errors.ts";

export type SseStream = {
  /** Whether the status line and headers were written. */
  readonly started: boolean;
  /** Whether the client went away (or the stream was ended). */
  readonly closed: boolean;
  /** Adds headers to send with the first event. */
  setHeaders(headers: Record<string, string>): void;
  /** Writes `data: <json>` (or a raw string such as `[DONE]`). */
  send(data: unknown): void;
  end(): void;
  /** Before the first event: a JSON error response; after it: a `data: {"error": ...}` event. */
  fail(error: unknown): void;
};

/** Takes the reply over from fastify (call before the first `await` of the handler). */
export function openSse(reply: FastifyReply): SseStream {
  reply.hijack();
  const res = reply.raw;
  const extra: Record<string, string> = {};
  let started = false;
  let ended = false;
  const headers = () => ({ ...(reply.getHeaders() as Record<string, string>), ...extra });
  const start = () => {
    if (started) return;
    started = true;
    res.writeHead(200, {
      ...headers(),
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
  };
  const writable = () => !ended && !res.destroyed && !res.writableEnded;
  return {
    get started() {
      return started;
    },
    get closed() {
      return !writable();
    },
    setHeaders(h) {
      Object.assign(extra, h);
    },
    send(data) {
      if (!writable()) return;
      start();
      res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
    },
    end() {
      if (!writable()) return;
      start();
      ended = true;
      res.end();
    },
    fail(error) {
      if (!writable()) return;
      const api = toApiError(error);
      ended = true;
      if (!started) {
        started = true;
        res.writeHead(api.status, { ...headers(), ...api.headers, "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(errorBody(api.code, api.message)));
      } else {
        res.end(`data: ${JSON.stringify(errorBody(api.code, api.message))}\n\n`);
      }
    },
  };
}
