/**
 * What the serving layer refuses, as domain errors: the HTTP server maps their codes to statuses
 * (server/errors.ts); nothing here knows about HTTP.
 */
import { NsLlmError } from "../errors.ts";

/** The request itself is wrong (a prompt longer than the node accepts, a bad parameter): the caller's fault. */
export class InvalidRequestError extends NsLlmError<"invalid_request" | "invalid_parameter" | "prompt_too_long"> {}

/** No model can answer for a role right now; retrying later (or on another node) can help. */
export class UnavailableError extends NsLlmError<"generation_unavailable" | "embedding_unavailable"> {
  constructor(code: UnavailableError["code"], message: string) {
    super(code, message, { transient: true, hint: "see GET /health" });
  }
}
