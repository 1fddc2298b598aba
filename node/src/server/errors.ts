/**
 * Every error of the API is JSON `{"error": {"code", "message"}}` with a 4xx or 5xx status. Route
 * code throws ApiError; fastify's own errors (bad JSON, body too large, wrong content type) and
 * the scheduler's are mapped here to the same shape.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ZodError } from "zod";
import { ClientGoneError, QueueFullError, RequestTimeoutError, SchedulerClosedError } from "../inference/scheduler.ts";
import { EmbeddingUnavailableError } from "../inference/embedding-batcher.ts";
import { InsufficientMemoryError } from "../inference/memory-check.ts";

export type ErrorBody = { error: { code: string; message: string } };

/** An error the client is told about: HTTP `status`, a stable `code`, a message a person can act on. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Turns a zod error into one readable line: `messages.0.role: Invalid option ...; stream: ...`. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`)
    .join("; ");
}

/** Maps any error to the API's status, code, message and extra headers. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) return new ApiError(400, "invalid_request", describeZodError(error));
  if (error instanceof QueueFullError) {
    return new ApiError(429, "queue_full", error.message, { "retry-after": String(error.retryAfterSeconds) });
  }
  if (error instanceof RequestTimeoutError) return new ApiError(503, "timeout", `${error.message} waiting for a free generation slot`);
  // Nobody reads this answer any more; nginx's 499 keeps it out of the 5xx counts.
  if (error instanceof ClientGoneError) return new ApiError(499, "client_closed", error.message);
  if (error instanceof SchedulerClosedError) return new ApiError(503, "shutting_down", error.message);
  if (error instanceof EmbeddingUnavailableError) return new ApiError(503, "embedding_unavailable", error.message);
  if (error instanceof InsufficientMemoryError) return new ApiError(503, "insufficient_memory", error.message);
  const e = error as Partial<FastifyError> & { status?: number };
  const status = e.statusCode ?? e.status;
  if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new ApiError(413, "body_too_large", "the request body is larger than 1 MiB");
  if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    return new ApiError(415, "unsupported_media_type", "send the body as application/json");
  }
  if (e.code === "FST_ERR_CTP_EMPTY_JSON_BODY") return new ApiError(400, "invalid_json", "the JSON body is empty");
  if (status === 400 && (error instanceof SyntaxError || e.code === "FST_ERR_CTP_INVALID_JSON_BODY")) {
    return new ApiError(400, "invalid_json", `the body is not valid JSON: ${e.message ?? ""}`.trim());
  }
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new ApiError(status, (e.code ?? "bad_request").toLowerCase(), e.message ?? "bad request");
  }
  return new ApiError(500, "internal", "internal error (see the node's log)");
}

/** Sends `error` as the API's JSON error (for replies fastify still owns). */
export function sendError(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  const api = toApiError(error);
  if (api.status >= 500 && api.code === "internal") request.log.error({ err: error }, "request failed");
  return reply.code(api.status).headers(api.headers).send(errorBody(api.code, api.message));
}
