/**
 * Newline-delimited JSON streams (Ollama's streaming format) on a hijacked fastify reply: one JSON
 * object a line. Headers go out with the first line, so that what is only known once generation
 * starts can still be a header; an error before that is an ordinary JSON error response, after it
 * a last line `{"error": ...}` (as Ollama ends a failed stream).
 */
import type { FastifyReply } from "fastify";
import { toApiError } from "./errors.ts";

export type NdjsonStream = {
  setHeaders(headers: Record<string, string>): void;
  send(line: unknown): void;
  end(): void;
  /** `body` is what an error becomes, before and after the first line. */
  fail(error: unknown, body: (code: string, message: string) => unknown): void;
};

/** Takes the reply over from fastify (call before the first `await` of the handler). */
export function openNdjson(reply: FastifyReply): NdjsonStream {
  reply.hijack();
  const res = reply.raw;
  const extra: Record<string, string> = {};
  let started = false;
  let ended = false;
  const writable = () => !ended && !res.destroyed && !res.writableEnded;
  const start = () => {
    if (started) return;
    started = true;
    res.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), ...extra, "content-type": "application/x-ndjson", "cache-control": "no-cache", "x-accel-buffering": "no" });
  };
  return {
    setHeaders(h) {
      Object.assign(extra, h);
    },
    send(line) {
      if (!writable()) return;
      start();
      res.write(`${JSON.stringify(line)}\n`);
    },
    end() {
      if (!writable()) return;
      start();
      ended = true;
      res.end();
    },
    fail(error, body) {
      if (!writable()) return;
      const api = toApiError(error);
      ended = true;
      const json = JSON.stringify(body(api.code, api.message));
      if (started) return void res.end(`${json}\n`);
      started = true;
      res.writeHead(api.status, { ...(reply.getHeaders() as Record<string, string>), ...extra, ...api.headers, "content-type": "application/json; charset=utf-8" });
      res.end(json);
    },
  };
}
