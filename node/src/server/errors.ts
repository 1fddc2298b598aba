/**
 * Every error of the API is JSON `{"error": {"code", "message"}}` with a 4xx or 5xx status. The
 * parts below the server raise domain errors (NsLlmError: a `code`, `transient`, a `hint`); this
 * is the one place that turns a code into an HTTP status. Errors of HTTP itself (no route, no
 * token, a body fastify refused) are ApiErrors, raised here in server/.
 */
import type { ErrorBody } from "@ns-llm/contracts";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ZodError } from "zod";
import { NsLlmError } from "../errors.ts";
import { QueueFullError } from "../serving/index.ts";

export type { ErrorBody };

/** An error of HTTP itself: its `status`, a stable `code`, a message a person can act on, extra headers. */
export class ApiError extends NsLlmError {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.status = status;
    this.headers = headers;
  }
}

/** The HTTP status of each domain error code the API can meet. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  invalid_request: 400,
  invalid_parameter: 400,
  prompt_too_long: 400,
  unsupported_schema: 400,
  not_json: 400,
  invalid_table: 400,
  invalid_image: 400,
  unsupported_input: 400,
  not_found: 404,
  not_batched: 409,
  queue_full: 429,
  // Nobody reads this answer any more; nginx's 499 keeps it out of the 5xx counts.
  client_closed: 499,
  timeout: 503,
  shutting_down: 503,
  audit_unavailable: 503,
  generation_unavailable: 503,
  embedding_unavailable: 503,
  vision_unavailable: 503,
  engine_disposed: 503,
  insufficient_memory: 503,
  dapp_unavailable: 503,
};

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
  if (error instanceof NsLlmError && STATUS_OF_CODE[error.code] !== undefined) {
    const headers: Record<string, string> = error instanceof QueueFullError ? { "retry-after": String(error.retryAfterSeconds) } : {};
    return new ApiError(STATUS_OF_CODE[error.code]!, error.code, error.describe(), headers);
  }
  const e = error as Partial<FastifyError> & { status?: number };
  const status = e.statusCode ?? e.status;
  if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new ApiError(413, "body_too_large", "the request body is larger than 1 MiB");
  if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    return new ApiError(415, "unsupported_media_type", "send the body as application/json");
  }
  // A path fastify cannot decode (a bad percent-escape such as %ff): fastify answers these itself,
  // in its own shape, unless `frameworkErrors` hands them here.
  if (e.code === "FST_ERR_BAD_URL") return new ApiError(400, "bad_url", "the URL's path is not valid (a bad %-escape?)");
  if (e.code === "FST_ERR_CTP_EMPTY_JSON_BODY") return new ApiError(400, "invalid_json", "the JSON body is empty");
  if (status === 400 && (error instanceof SyntaxError || e.code === "FST_ERR_CTP_INVALID_JSON_BODY")) {
    return new ApiError(400, "invalid_json", `the body is not valid JSON: ${e.message ?? ""}`.trim());
  }
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new ApiError(status, (e.code ?? "bad_request").toLowerCase(), e.message ?? "bad request");
  }
  return new ApiError(500, "internal", "internal error (see the node's log)");
}

/** fastify's `frameworkErrors` option: errors it meets before routing, sent in the API's shape. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendError(reply, request, error);
}

/** Sends `error` as the API's JSON error (for replies fastify still owns). */
export function sendError(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  const api = toApiError(error);
  if (api.status >= 500 && api.code === "internal") request.log.error({ err: error }, "request failed");
  return reply.code(api.status).headers(api.headers).send(errorBody(api.code, api.message));
}
