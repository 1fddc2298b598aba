/**
 * What the serving layer refuses, as domain errors: the HTTP server maps their codes to statuses
 * (server/errors.ts); nothing here knows about HTTP.
 */
import { NsLlmError } from "../errors.ts";
import type { NodeMetrics } from "../metrics.ts";

/** The request itself is wrong (a prompt longer than the node accepts, a bad parameter): the caller's fault. */
export class InvalidRequestError extends NsLlmError<"invalid_request" | "invalid_parameter" | "prompt_too_long"> {}

/** No model can answer for a role right now; retrying later (or on another node) can help. */
export class UnavailableError extends NsLlmError<"generation_unavailable" | "embedding_unavailable" | "vision_unavailable"> {
  constructor(code: UnavailableError["code"], message: string) {
    super(code, message, { transient: true, hint: "see GET /health" });
  }
}

/** The answer's audit entry could not be written: no answer goes out unaudited. */
export class AuditUnavailableError extends NsLlmError<"audit_unavailable"> {
  constructor(cause: unknown) {
    super("audit_unavailable", `the answer could not be recorded in the audit log (${(cause as Error)?.message ?? String(cause)}), so it is not sent`, {
      transient: true,
      hint: "see GET /health; the node answers again once the audit log accepts entries",
    });
  }
}

/** Codes of refusals that ns_llm_rejected_requests_total counts (the node said no, not the caller). */
const REJECTIONS = new Set(["queue_full", "timeout", "shutting_down", "audit_unavailable", "generation_unavailable", "embedding_unavailable", "vision_unavailable"]);

/** Counts `error` in ns_llm_rejected_requests_total{reason} when it is a refusal of the node's. */
export function countRejection(metrics: NodeMetrics, error: unknown): void {
  if (error instanceof NsLlmError && REJECTIONS.has(error.code)) metrics.rejected.inc({ reason: error.code });
}
